//! Handlers of `/auth/*` and `/users/*`.

use boxoffice_domain::account::{ProfileInput, Role, Session, SignupRequest, UserPatch};
use paperclip::actix::web::Json;
use paperclip::actix::{api_v2_operation, web, CreatedJson, NoContent};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::dto::*;
use crate::error::ApiError;
use crate::extract::Body;
use crate::ApiState;

type Res<T> = Result<T, ApiError>;

fn tokens(state: &ApiState, session: Session) -> Res<TokenDto> {
    let now = chrono::Utc::now();
    let access_token = state.jwt.issue(&session.user, now)?;
    Ok(TokenDto {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl_secs(),
        refresh_token: session.refresh_token.into_inner(),
        refresh_expires_in: (session.refresh_expires_at - now).num_seconds().max(0),
        user: session.user.into(),
    })
}

fn profile(
    phone: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    address: Option<String>,
) -> ProfileInput {
    ProfileInput {
        phone,
        first_name,
        last_name,
        address,
    }
}

pub(crate) fn user_id(raw: &str) -> Res<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(format!("user {raw} not found")))
}

/// Create an account (customer or provider) and sign in
#[api_v2_operation(operation_id = "signup", tags(Auth))]
pub async fn signup(state: web::Data<ApiState>, body: Body<Signup>) -> Res<CreatedJson<TokenDto>> {
    let b = body.into_inner();
    let session = state
        .accounts
        .signup(SignupRequest {
            email: b.email,
            password: b.password,
            role: b.role,
            profile: profile(b.phone, b.first_name, b.last_name, b.address),
        })
        .await?;
    Ok(CreatedJson(tokens(&state, session)?))
}

/// Sign in with email and password: an access token (JWT) and a refresh token
#[api_v2_operation(operation_id = "login", tags(Auth))]
pub async fn login(state: web::Data<ApiState>, body: Body<Login>) -> Res<Json<TokenDto>> {
    let b = body.into_inner();
    let session = state.accounts.login(&b.email, &b.password).await?;
    Ok(Json(tokens(&state, session)?))
}

/// Trade a refresh token for a new pair; the old refresh token stops working. Presenting an
/// already used one revokes that whole sign-in (401 `token_reused`)
#[api_v2_operation(operation_id = "refresh_tokens", tags(Auth))]
pub async fn refresh(
    state: web::Data<ApiState>,
    body: Body<RefreshRequest>,
) -> Res<Json<TokenDto>> {
    let session = state.accounts.refresh(&body.refresh_token).await?;
    Ok(Json(tokens(&state, session)?))
}

/// Sign out: the refresh token (and every token of its sign-in) stops working. Always 204
#[api_v2_operation(operation_id = "logout", tags(Auth))]
pub async fn logout(state: web::Data<ApiState>, body: Body<RefreshRequest>) -> Res<NoContent> {
    state.accounts.logout(&body.refresh_token).await?;
    Ok(NoContent)
}

/// Ask for a password-reset email. The answer (202) is the same, and as fast, whether or not
/// the email exists
#[api_v2_operation(operation_id = "request_password_reset", tags(Auth))]
pub async fn password_reset(
    state: web::Data<ApiState>,
    body: Body<PasswordResetRequest>,
) -> Res<actix_web::HttpResponse> {
    let email = body.into_inner().email;
    // The work (lookup, token, the outbox message) happens after the answer, so neither the answer nor its
    // timing says whether the account exists. Failures go to the log.
    let accounts = state.accounts.clone();
    actix_web::rt::spawn(async move {
        if let Err(e) = accounts.request_password_reset(&email).await {
            tracing::warn!(error = %e, "password-reset request failed");
        }
    });
    Ok(actix_web::HttpResponse::Accepted().json(AcceptedDto {
        status: "accepted".into(),
        message: "if an account with this email exists, a reset token is on its way".into(),
    }))
}

/// Set a new password with the emailed token (single use, 1 hour). Signs out every session
#[api_v2_operation(operation_id = "confirm_password_reset", tags(Auth))]
pub async fn password_reset_confirm(
    state: web::Data<ApiState>,
    body: Body<PasswordResetConfirm>,
) -> Res<NoContent> {
    let b = body.into_inner();
    state
        .accounts
        .confirm_password_reset(&b.token, &b.new_password)
        .await?;
    Ok(NoContent)
}

/// The signed-in user
#[api_v2_operation(operation_id = "get_me", tags(Users))]
pub async fn me(auth: Auth) -> Res<Json<UserDto>> {
    let user = auth.0.require_user()?.clone();
    Ok(Json(user.into()))
}

/// Change your own profile (phone, names, address)
#[api_v2_operation(operation_id = "update_me", tags(Users))]
pub async fn update_me(
    state: web::Data<ApiState>,
    auth: Auth,
    body: Body<UpdateMe>,
) -> Res<Json<UserDto>> {
    let b = body.into_inner();
    let patch = UserPatch::parse(
        &profile(b.phone, b.first_name, b.last_name, b.address),
        None,
        None,
    )?;
    Ok(Json(state.accounts.update_me(&auth.0, patch).await?.into()))
}

/// All users (admins), oldest first, optionally of one role
#[api_v2_operation(operation_id = "list_users", tags(Users))]
pub async fn list_users(
    state: web::Data<ApiState>,
    auth: Auth,
    q: web::Query<UserQuery>,
) -> Res<Json<UserList>> {
    q.validate()?;
    let page = boxoffice_domain::catalog::Page::parse(q.limit, q.offset)?;
    let role = q.role.as_deref().map(Role::parse).transpose()?;
    let r = state.accounts.list_users(&auth.0, role, page).await?;
    Ok(Json(UserList::from_paged(r)))
}

/// One user (that user or an admin)
#[api_v2_operation(operation_id = "get_user", tags(Users))]
pub async fn get_user(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<String>,
) -> Res<Json<UserDto>> {
    let id = user_id(&id)?;
    Ok(Json(state.accounts.get_user(&auth.0, id).await?.into()))
}

/// Change a user (admins): role, `active` (false deactivates: their tokens stop working), profile
#[api_v2_operation(operation_id = "update_user", tags(Users))]
pub async fn update_user(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<String>,
    body: Body<UpdateUser>,
) -> Res<Json<UserDto>> {
    // Only admins get as far as the id: others learn nothing about which ids exist.
    auth.0.require_admin()?;
    let id = user_id(&id)?;
    let b = body.into_inner();
    let patch = UserPatch::parse(
        &profile(b.phone, b.first_name, b.last_name, b.address),
        b.role.as_deref(),
        b.active,
    )?;
    Ok(Json(
        state.accounts.update_user(&auth.0, id, patch).await?.into(),
    ))
}

/// A user's bookings (that user or an admin), newest first
#[api_v2_operation(operation_id = "list_user_bookings", tags(Users))]
pub async fn user_bookings(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Res<Json<BookingList>> {
    q.validate()?;
    let page = boxoffice_domain::catalog::Page::parse(q.limit, q.offset)?;
    // A malformed id is as foreign as someone else's: 403 for non-admins, 404 for admins.
    let id = match user_id(&id) {
        Ok(id) => id,
        Err(e) => {
            auth.0.require_admin()?;
            return Err(e);
        }
    };
    let r = state.bookings.list_for_user(&auth.0, id, page).await?;
    Ok(Json(BookingList::from_paged(r)))
}
