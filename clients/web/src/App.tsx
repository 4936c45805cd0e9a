import { NavLink, Route, Routes, useNavigate } from "react-router-dom";
import { logout } from "./api";
import { useSession } from "./auth";
import { useInbox } from "./inbox";
import { BookingPage } from "./pages/BookingPage";
import { BookingsPage } from "./pages/BookingsPage";
import { CheckoutPage } from "./pages/CheckoutPage";
import { EventPage } from "./pages/EventPage";
import { EventsPage } from "./pages/EventsPage";
import { InboxPage } from "./pages/InboxPage";
import { LoginPage, SignupPage } from "./pages/LoginPage";
import { ProviderAppointmentsPage } from "./pages/ProviderAppointmentsPage";
import { ProviderPage } from "./pages/ProviderPage";
import { ServicePage } from "./pages/ServicePage";
import { ServicesPage } from "./pages/ServicesPage";
import { ShowPage } from "./pages/ShowPage";

function Header() {
  const session = useSession();
  const { unread } = useInbox();
  const navigate = useNavigate();
  const role = session?.user.role;
  return (
    <header className="site">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <NavLink to="/" className="brand">
        boxoffice
      </NavLink>
      <nav aria-label="Main">
        <NavLink to="/" end>
          Events
        </NavLink>
        <NavLink to="/services">Services</NavLink>
        <NavLink to="/bookings">My bookings</NavLink>
        {session && (
          <NavLink to="/inbox" aria-label={`Notifications, ${unread} unread`}>
            Notifications{unread > 0 && <span className="badge" data-testid="unread-count">{unread}</span>}
          </NavLink>
        )}
        {(role === "provider" || role === "admin") && <NavLink to="/provider">My events</NavLink>}
        {session ? (
          <>
            <span className="who">{session.user.email}</span>
            <button
              type="button"
              onClick={async () => {
                await logout();
                navigate("/");
              }}
            >
              Log out
            </button>
          </>
        ) : (
          <>
            <NavLink to="/login">Log in</NavLink>
            <NavLink to="/signup">Sign up</NavLink>
          </>
        )}
      </nav>
    </header>
  );
}

export function App() {
  return (
    <>
      <Header />
      <main id="main">
        <Routes>
          <Route path="/" element={<EventsPage />} />
          <Route path="/events/:eventId" element={<EventPage />} />
          <Route path="/shows/:showId" element={<ShowPage />} />
          <Route path="/services" element={<ServicesPage />} />
          <Route path="/services/:serviceId" element={<ServicePage />} />
          <Route path="/checkout/:bookingId" element={<CheckoutPage />} />
          <Route path="/bookings" element={<BookingsPage />} />
          <Route path="/bookings/:bookingId" element={<BookingPage />} />
          <Route path="/inbox" element={<InboxPage />} />
          <Route path="/provider" element={<ProviderPage />} />
          <Route path="/provider/appointments" element={<ProviderAppointmentsPage />} />
          <Route path="/login" element={<LoginPage />} />
          <Route path="/signup" element={<SignupPage />} />
          <Route path="*" element={<h1>Page not found</h1>} />
        </Routes>
      </main>
    </>
  );
}
