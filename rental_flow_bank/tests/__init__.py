from . import test_install
from . import test_import_camt
from . import test_import_bulk
