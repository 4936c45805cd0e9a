//! The service marketplace's catalogue (issue 14, `docs/marketplace.md`): categories (anyone
//! reads, admins write) and services (providers offer their own, admins anyone's; anyone
//! searches and reads; a deleted service reads only for its provider and admins).

use boxoffice_domain::catalog::Page;
use boxoffice_domain::marketplace::catalog::{
    CategoryInput, CategoryPatch, ServiceFilter, ServiceSort,
};
use paperclip::actix::web::Json;
use paperclip::actix::{api_v2_operation, web, CreatedJson, NoContent};
use validator::Validate;

use crate::auth::{Auth, MaybeAuth};
use crate::dto::{
    CategoryDto, CategoryList, CategoryQuery, CreateCategory, CreateService, ServiceChangeDto,
    ServiceChangeQuery, ServiceDto, ServiceList, ServiceQuery, UpdateCategory, UpdateService,
};
use crate::error::ApiError;
use crate::extract::Body;
use crate::handlers::positive_id;
use crate::ApiState;

type Res<T> = Result<T, ApiError>;

/// The routes of this module (inside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/categories")
            .route(web::post().to(create_category))
            .route(web::get().to(list_categories)),
    )
    .service(web::resource("/categories/{id}").route(web::patch().to(update_category)))
    .service(
        web::resource("/services")
            .route(web::post().to(create_service))
            .route(web::get().to(list_services)),
    )
    .service(
        web::resource("/services/{id}")
            .route(web::get().to(get_service))
            .route(web::patch().to(update_service))
            .route(web::delete().to(delete_service)),
    );
}

// ---------- categories ----------

/// Create a category (admins)
#[api_v2_operation(operation_id = "create_category", tags(Categories))]
pub async fn create_category(
    state: web::Data<ApiState>,
    auth: Auth,
    body: Body<CreateCategory>,
) -> Res<CreatedJson<CategoryDto>> {
    let b = body.into_inner();
    let input = CategoryInput {
        name: b.name,
        description: b.description,
        active: b.active,
    };
    Ok(CreatedJson(
        state
            .marketplace
            .create_category(&auth.0, input)
            .await?
            .into(),
    ))
}

/// List the categories, by name (the inactive ones too with `include_inactive`, admins only)
#[api_v2_operation(operation_id = "list_categories", tags(Categories))]
pub async fn list_categories(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    q: web::Query<CategoryQuery>,
) -> Res<Json<CategoryList>> {
    q.validate()?;
    let page = Page::parse(q.limit, q.offset)?;
    let r = state
        .marketplace
        .list_categories(&auth.0, q.include_inactive.unwrap_or(false), page)
        .await?;
    Ok(Json(CategoryList::from_paged(r)))
}

/// Change a category (admins): the fields given
#[api_v2_operation(operation_id = "update_category", tags(Categories))]
pub async fn update_category(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<i64>,
    body: Body<UpdateCategory>,
) -> Res<Json<CategoryDto>> {
    // Only admins get as far as the id: others learn nothing about which ids exist.
    auth.0.require_admin()?;
    let id = positive_id(id.into_inner(), "category")?;
    let b = body.into_inner();
    let patch = CategoryPatch {
        name: b.name,
        description: b.description,
        active: b.active,
    };
    Ok(Json(
        state
            .marketplace
            .update_category(&auth.0, id, patch)
            .await?
            .into(),
    ))
}

// ---------- services ----------

/// Offer a service (providers: their own; admins: their own or a named provider's)
#[api_v2_operation(operation_id = "create_service", tags(Services))]
pub async fn create_service(
    state: web::Data<ApiState>,
    auth: Auth,
    body: Body<CreateService>,
) -> Res<CreatedJson<ServiceDto>> {
    let input = body.into_inner().into();
    Ok(CreatedJson(
        state
            .marketplace
            .create_service(&auth.0, input)
            .await?
            .into(),
    ))
}

/// Search services (text `q` in the title or description, category, price range, provider, a
/// free slot on `available_on`), sorted by price, newest first or soonest free slot, paginated
#[api_v2_operation(operation_id = "list_services", tags(Services))]
pub async fn list_services(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    q: web::Query<ServiceQuery>,
) -> Res<Json<ServiceList>> {
    q.validate()?;
    let page = Page::parse(q.limit, q.offset)?;
    let q = q.into_inner();
    let filter = ServiceFilter {
        text: q.q,
        category_id: q.category_id,
        min_price: q.min_price,
        max_price: q.max_price,
        provider_id: q.provider_id,
        include_inactive: q.include_inactive.unwrap_or(false),
        sort: q
            .sort
            .as_deref()
            .map(ServiceSort::parse)
            .transpose()?
            .unwrap_or_default(),
        available_on: q.available_on,
    };
    let r = state
        .marketplace
        .list_services(&auth.0, filter, page)
        .await?;
    Ok(Json(ServiceList::from_paged(r)))
}

/// A service (a deleted one only for its provider and admins; 404 to anyone else)
#[api_v2_operation(operation_id = "get_service", tags(Services))]
pub async fn get_service(
    state: web::Data<ApiState>,
    auth: MaybeAuth,
    id: web::Path<i64>,
) -> Res<Json<ServiceDto>> {
    let id = positive_id(id.into_inner(), "service")?;
    Ok(Json(
        state.marketplace.get_service(&auth.0, id).await?.into(),
    ))
}

/// Change a service (its provider or an admin): the fields given, the parts of the
/// availability given. Existing appointments are never cancelled: the answer lists the upcoming
/// ones the new availability leaves outside its slots. `?dry_run=true` checks the change and
/// answers the same without writing it
#[api_v2_operation(operation_id = "update_service", tags(Services))]
pub async fn update_service(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<i64>,
    q: web::Query<ServiceChangeQuery>,
    body: Body<UpdateService>,
) -> Res<Json<ServiceChangeDto>> {
    let id = positive_id(id.into_inner(), "service")?;
    let patch = body.into_inner().into();
    let dry_run = q.dry_run.unwrap_or(false);
    let update = state
        .marketplace
        .update_service(&auth.0, id, patch, dry_run)
        .await?;
    Ok(Json(ServiceChangeDto::new(update, !dry_run)))
}

/// Delete a service (its provider or an admin): it is marked deleted and kept; it leaves the
/// search and reads only for its provider and admins
#[api_v2_operation(operation_id = "delete_service", tags(Services))]
pub async fn delete_service(
    state: web::Data<ApiState>,
    auth: Auth,
    id: web::Path<i64>,
) -> Res<NoContent> {
    let id = positive_id(id.into_inner(), "service")?;
    state.marketplace.delete_service(&auth.0, id).await?;
    Ok(NoContent)
}
