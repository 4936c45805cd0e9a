import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";
import { login, signup } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";

function useAfterLogin() {
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from ?? "/";
  return () => navigate(from, { replace: true });
}

export function LoginPage() {
  const done = useAfterLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password);
      done();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article className="narrow">
      <h1>Log in</h1>
      <form onSubmit={submit}>
        <label htmlFor="login-email">Email</label>
        <input id="login-email" type="email" required autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="login-password">Password</label>
        <input id="login-password" type="password" required autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" className="primary" disabled={busy}>
          Log in
        </button>
      </form>
      <ErrorMessage error={error} />
      <p>
        No account? <Link to="/signup">Sign up</Link>
      </p>
    </article>
  );
}

export function SignupPage() {
  const done = useAfterLogin();
  const [form, setForm] = useState({ first_name: "", last_name: "", email: "", password: "" });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const field = (key: keyof typeof form) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }),
  });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signup({ ...form, email: form.email.trim() });
      done();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article className="narrow">
      <h1>Sign up</h1>
      <form onSubmit={submit}>
        <label htmlFor="su-first">First name</label>
        <input id="su-first" autoComplete="given-name" {...field("first_name")} />
        <label htmlFor="su-last">Last name</label>
        <input id="su-last" autoComplete="family-name" {...field("last_name")} />
        <label htmlFor="su-email">Email</label>
        <input id="su-email" type="email" required autoComplete="email" {...field("email")} />
        <label htmlFor="su-password">Password (at least 8 characters)</label>
        <input id="su-password" type="password" required minLength={8} autoComplete="new-password" {...field("password")} />
        <button type="submit" className="primary" disabled={busy}>
          Create account
        </button>
      </form>
      <ErrorMessage error={error} />
    </article>
  );
}
