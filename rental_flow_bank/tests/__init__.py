from . import test_install
from . import test_import_camt
from . import test_import_formats
from . import test_import_bad_input
from . import test_import_bulk
from . import test_connector
from . import test_webhook_http
from . import test_webhook_claim
