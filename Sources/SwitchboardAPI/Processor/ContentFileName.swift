/// The name a stored voicemail, recording or picture is downloaded under, made by the server
/// (never from client input): `<kind>-<id>.<extension of its media type>`.
enum ContentFileName {
    static func make(kind: String, id: String, contentType: String) -> String {
        "\(kind)-\(id).\(fileExtension(contentType))"
    }

    static func fileExtension(_ contentType: String) -> String {
        switch contentType {
        case "audio/mpeg": "mp3"
        case "audio/ogg": "ogg"
        case "image/png": "png"
        case "image/jpeg": "jpg"
        default: "wav"
        }
    }
}
