from . import test_dunning_run, test_install, test_sms_callbacks, test_sms_providers
