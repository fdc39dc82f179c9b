def post_init_hook(env):
    """Give the companies the shipped default policy and the Odoo IAP SMS provider."""
    standard = env.ref("rental_flow_dunning.policy_standard", raise_if_not_found=False)
    provider = env.ref("rental_flow_dunning.sms_provider_iap", raise_if_not_found=False)
    for company in env["res.company"].search([]):
        values = {}
        if standard and standard.company_id == company and not company.rental_dunning_policy_id:
            values["rental_dunning_policy_id"] = standard.id
        if provider and provider.company_id == company and not company.rental_sms_provider_id:
            values["rental_sms_provider_id"] = provider.id
        if values:
            company.write(values)
