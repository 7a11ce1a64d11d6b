import Hummingbird

extension PortalController {
    /// Every portal page, each answering in HTML whatever happens (never the API's problem JSON).
    func register(on router: Router<AppRequestContext>) {
        router.get("/") { _, _ in PortalResponse.redirect("/portal/") }
        servePage(router, "/portal") { request, _ in await serving(request) { try await home(request) } }
        servePage(router, "/portal/sign-in") { request, _ in await serving(request) { try await signInPage(request) } }
        router.post("/portal/sign-in") { request, context in await serving(request) { try await signIn(request, context: context) } }
        router.post("/portal/sign-out") { request, _ in await serving(request) { try await signOut(request) } }
        servePage(router, "/portal/language") { request, _ in await serving(request) { try await switchLanguage(request) } }
        servePage(router, "/portal/style.css") { request, _ in await serving(request) { try await styleSheet(request) } }
        servePage(router, "/portal/logo") { request, _ in await serving(request) { try await logo(request) } }
        servePage(router, "/portal/employees") { request, _ in await serving(request) { try await staffPage(request) } }
        servePage(router, "/portal/employees/:id") { request, context in await serving(request) { try await employeePage(request, context: context) } }
        router.post("/portal/employees/:id") { request, context in await serving(request) { try await saveDetails(request, context: context) } }
        router.post("/portal/employees/:id/preferences") { request, context in await serving(request) { try await savePreferences(request, context: context) } }
        router.post("/portal/employees/:id/restriction") { request, context in await serving(request) { try await restrict(request, context: context) } }
        router.post("/portal/employees/:id/restriction/lift") { request, context in await serving(request) { try await liftRestriction(request, context: context) } }
        servePage(router, "/portal/employees/:id/anonymise") { request, context in await serving(request) { try await anonymisePage(request, context: context) } }
        router.post("/portal/employees/:id/anonymise") { request, context in await serving(request) { try await anonymise(request, context: context) } }
        servePage(router, "/portal/employees/:id/export") { request, context in await serving(request) { try await export(request, context: context) } }
        servePage(router, "/portal/employees/:id/content/:contentId") { request, context in await serving(request) { try await downloadContent(request, context: context) } }
        servePage(router, "/portal/usage") { request, _ in await serving(request) { try await usagePage(request) } }
    }

    /// A page answers GET, and HEAD with the same status and headers and no body.
    private func servePage(_ router: Router<AppRequestContext>, _ path: RouterPath,
                           _ handler: @escaping @Sendable (Request, AppRequestContext) async -> Response) {
        router.get(path, use: handler)
        router.head(path) { request, context in
            var response = await handler(request, context)
            response.body = .init()
            return response
        }
    }

    func home(_ request: Request) async throws -> Response {
        let visit = try await visit(request)
        return PortalResponse.redirect(visit.manager == nil ? PortalPaths.signIn : PortalPaths.staff)
    }
}
