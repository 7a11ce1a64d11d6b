import Hummingbird

extension PortalController {
    /// Every portal page, each answering in HTML whatever happens (never the API's problem JSON).
    func register(on router: Router<AppRequestContext>) {
        router.get("/") { _, _ in PortalResponse.redirect("/portal/") }
        router.get("/portal") { request, _ in await serving(request) { try await home(request) } }
        router.get("/portal/sign-in") { request, _ in await serving(request) { try await signInPage(request) } }
        router.post("/portal/sign-in") { request, context in await serving(request) { try await signIn(request, context: context) } }
        router.post("/portal/sign-out") { request, _ in await serving(request) { try await signOut(request) } }
        router.get("/portal/language") { request, _ in await serving(request) { try await switchLanguage(request) } }
        router.get("/portal/style.css") { request, _ in await serving(request) { try await styleSheet(request) } }
        router.get("/portal/logo") { request, _ in await serving(request) { try await logo(request) } }
        router.get("/portal/employees") { request, _ in await serving(request) { try await staffPage(request) } }
        router.get("/portal/employees/:id") { request, context in await serving(request) { try await employeePage(request, context: context) } }
        router.post("/portal/employees/:id") { request, context in await serving(request) { try await saveDetails(request, context: context) } }
        router.post("/portal/employees/:id/preferences") { request, context in await serving(request) { try await savePreferences(request, context: context) } }
        router.post("/portal/employees/:id/restriction") { request, context in await serving(request) { try await restrict(request, context: context) } }
        router.post("/portal/employees/:id/restriction/lift") { request, context in await serving(request) { try await liftRestriction(request, context: context) } }
        router.get("/portal/employees/:id/anonymise") { request, context in await serving(request) { try await anonymisePage(request, context: context) } }
        router.post("/portal/employees/:id/anonymise") { request, context in await serving(request) { try await anonymise(request, context: context) } }
        router.get("/portal/employees/:id/export") { request, context in await serving(request) { try await export(request, context: context) } }
        router.get("/portal/employees/:id/content/:contentId") { request, context in await serving(request) { try await downloadContent(request, context: context) } }
        router.get("/portal/usage") { request, _ in await serving(request) { try await usagePage(request) } }
    }

    func home(_ request: Request) async throws -> Response {
        let visit = try await visit(request)
        return PortalResponse.redirect(visit.manager == nil ? PortalPaths.signIn : PortalPaths.staff)
    }
}
