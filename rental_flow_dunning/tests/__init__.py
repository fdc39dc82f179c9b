from . import test_dunning_run, test_install
