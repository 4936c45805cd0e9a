# flake8: noqa

# import apis into api package
from boxoffice_client.api.auth_api import AuthApi
from boxoffice_client.api.bookings_api import BookingsApi
from boxoffice_client.api.catalogue_api import CatalogueApi
from boxoffice_client.api.import_api import ImportApi
from boxoffice_client.api.ops_api import OpsApi
from boxoffice_client.api.payments_api import PaymentsApi
from boxoffice_client.api.users_api import UsersApi

