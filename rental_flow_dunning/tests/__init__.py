from . import (
    test_dunning_rules,
    test_dunning_run,
    test_install,
    test_payment_plan,
    test_sms_callbacks,
    test_sms_providers,
)
