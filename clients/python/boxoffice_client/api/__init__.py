# flake8: noqa

# import apis into api package
from boxoffice_client.api.auth_api import AuthApi
from boxoffice_client.api.bookings_api import BookingsApi
from boxoffice_client.api.categories_api import CategoriesApi
from boxoffice_client.api.cities_api import CitiesApi
from boxoffice_client.api.events_api import EventsApi
from boxoffice_client.api.imports_api import ImportsApi
from boxoffice_client.api.notifications_api import NotificationsApi
from boxoffice_client.api.ops_api import OpsApi
from boxoffice_client.api.payments_api import PaymentsApi
from boxoffice_client.api.seats_api import SeatsApi
from boxoffice_client.api.services_api import ServicesApi
from boxoffice_client.api.shows_api import ShowsApi
from boxoffice_client.api.users_api import UsersApi
from boxoffice_client.api.venues_api import VenuesApi
from boxoffice_client.api.webhooks_api import WebhooksApi

