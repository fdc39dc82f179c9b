def post_init_hook(env):
    """Create the third-party accounts and the rent-call journal of existing companies."""
    env["res.company"]._rental_setup_all_companies()
