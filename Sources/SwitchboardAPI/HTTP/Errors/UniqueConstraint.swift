/// Which request field a unique constraint protects, for the 409 problem.
enum UniqueConstraint {
    static func field(_ constraint: String) -> String {
        switch constraint {
        case "customers_reseller_id_external_ref_key": "externalRef"
        case "managers_email_key", "managers_reseller_email_key", "platform_staff_email": "email"
        case "employees_reseller_id_customer_id_extension_key": "extension"
        case "number_assignments_active_number": "number"
        case "sim_cards_active_iccid": "iccid"
        case "fax_to_mail_number": "faxNumber"
        case "brand_hostnames_hostname", "brand_hostnames_pkey", "hostname_registry_pkey": "hostnames"
        case "number_registry_pkey": "numbers"
        case "sim_registry_pkey": "iccids"
        default: "id"
        }
    }
}
