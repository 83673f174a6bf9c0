//! Every route of the API in one table, with the class of access it
//! needs ([`super::role::MATRIX`] says which role that is). The router is
//! built from the table, each route behind the same [`super::guard`], and
//! the OpenAPI document served at `/api/openapi.json` lists exactly these
//! routes (a test checks both ways).

use super::Server;
use super::handlers;
use super::role::Class;
use axum::Router;
use axum::routing::{MethodRouter, any, delete, get, post, put};
use std::sync::Arc;

/// One endpoint: method, path (axum's `{param}` syntax, as in OpenAPI),
/// the class of access it needs, and what answers it.
#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub class: Class,
    endpoint: Endpoint,
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    OpenApi,
    Projects,
    Status,
    Attention,
    Audit,
    Grants,
    PutGrant,
    DeleteGrant,
    CreateToken,
    CreatePlan,
    ShowPlan,
    ApprovePlan,
    ApplyPlan,
    Promote,
    Job,
    JobEvents,
    Outputs,
    Versions,
    Restore,
    Unlock,
    Drift,
    Export,
    Upgrade,
    DeleteProject,
    TfStates,
    TfVersions,
    TfRestore,
    TfUnlock,
    /// Terraform's HTTP state backend ([`TF_ROUTES`]), not in the API's
    /// table.
    TfState,
}

/// The API.
pub const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/api/openapi.json",
        class: Class::Signed,
        endpoint: Endpoint::OpenApi,
    },
    Route {
        method: "GET",
        path: "/api/projects",
        class: Class::Signed,
        endpoint: Endpoint::Projects,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/status",
        class: Class::Read,
        endpoint: Endpoint::Status,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/attention",
        class: Class::Read,
        endpoint: Endpoint::Attention,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/audit",
        class: Class::Read,
        endpoint: Endpoint::Audit,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/grants",
        class: Class::Administer,
        endpoint: Endpoint::Grants,
    },
    Route {
        method: "PUT",
        path: "/api/projects/{project}/grants/{user}",
        class: Class::Administer,
        endpoint: Endpoint::PutGrant,
    },
    Route {
        method: "DELETE",
        path: "/api/projects/{project}/grants/{user}",
        class: Class::Administer,
        endpoint: Endpoint::DeleteGrant,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/tokens",
        class: Class::Administer,
        endpoint: Endpoint::CreateToken,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/environments/{env}/plans",
        class: Class::Operate,
        endpoint: Endpoint::CreatePlan,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/environments/{env}/plans/{id}",
        class: Class::Read,
        endpoint: Endpoint::ShowPlan,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/environments/{env}/plans/{id}/approve",
        class: Class::Edit,
        endpoint: Endpoint::ApprovePlan,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/environments/{env}/plans/{id}/apply",
        class: Class::Operate,
        endpoint: Endpoint::ApplyPlan,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/environments/{env}/promote",
        class: Class::Operate,
        endpoint: Endpoint::Promote,
    },
    Route {
        method: "GET",
        path: "/api/jobs/{job}",
        class: Class::Read,
        endpoint: Endpoint::Job,
    },
    Route {
        method: "GET",
        path: "/api/jobs/{job}/events",
        class: Class::Read,
        endpoint: Endpoint::JobEvents,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/environments/{env}/outputs",
        class: Class::Read,
        endpoint: Endpoint::Outputs,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/environments/{env}/versions",
        class: Class::Read,
        endpoint: Endpoint::Versions,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/environments/{env}/restore",
        class: Class::Administer,
        endpoint: Endpoint::Restore,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/environments/{env}/unlock",
        class: Class::Administer,
        endpoint: Endpoint::Unlock,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/environments/{env}/drift",
        class: Class::Operate,
        endpoint: Endpoint::Drift,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/export",
        class: Class::Administer,
        endpoint: Endpoint::Export,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/upgrade",
        class: Class::Edit,
        endpoint: Endpoint::Upgrade,
    },
    Route {
        method: "DELETE",
        path: "/api/projects/{project}",
        class: Class::Administer,
        endpoint: Endpoint::DeleteProject,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/tfstate",
        class: Class::Read,
        endpoint: Endpoint::TfStates,
    },
    Route {
        method: "GET",
        path: "/api/projects/{project}/tfstate/{name}/versions",
        class: Class::Read,
        endpoint: Endpoint::TfVersions,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/tfstate/{name}/versions/{version}/restore",
        class: Class::Administer,
        endpoint: Endpoint::TfRestore,
    },
    Route {
        method: "POST",
        path: "/api/projects/{project}/tfstate/{name}/unlock",
        class: Class::Administer,
        endpoint: Endpoint::TfUnlock,
    },
];

/// The path of Terraform's HTTP state backend (`backend "http"`'s
/// `address`, `lock_address` and `unlock_address`).
pub const TF_STATE_PATH: &str = "/tf/state/{project}/{name}";

/// Terraform's HTTP state backend: one path, each method with its class.
/// Not part of the API's description (Terraform is its one client), but
/// behind the same guard. LOCK and UNLOCK are Terraform's own methods.
pub const TF_ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: TF_STATE_PATH,
        class: Class::Read,
        endpoint: Endpoint::TfState,
    },
    Route {
        method: "POST",
        path: TF_STATE_PATH,
        class: Class::Operate,
        endpoint: Endpoint::TfState,
    },
    Route {
        method: "LOCK",
        path: TF_STATE_PATH,
        class: Class::Operate,
        endpoint: Endpoint::TfState,
    },
    Route {
        method: "UNLOCK",
        path: TF_STATE_PATH,
        class: Class::Operate,
        endpoint: Endpoint::TfState,
    },
    Route {
        method: "DELETE",
        path: TF_STATE_PATH,
        class: Class::Administer,
        endpoint: Endpoint::TfState,
    },
];

/// The OpenAPI 3.1 document describing [`ROUTES`].
pub const OPENAPI: &str = include_str!("openapi.json");

impl Endpoint {
    fn handler(self) -> MethodRouter<Arc<Server>> {
        match self {
            Endpoint::OpenApi => get(handlers::openapi),
            Endpoint::Projects => get(handlers::projects),
            Endpoint::Status => get(handlers::status),
            Endpoint::Attention => get(handlers::attention),
            Endpoint::Audit => get(handlers::audit),
            Endpoint::Grants => get(super::admin::grants),
            Endpoint::PutGrant => put(super::admin::put_grant),
            Endpoint::DeleteGrant => delete(super::admin::delete_grant),
            Endpoint::CreateToken => post(super::admin::create_token),
            Endpoint::CreatePlan => post(super::plans::create),
            Endpoint::ShowPlan => get(super::plans::show),
            Endpoint::ApprovePlan => post(super::plans::approve),
            Endpoint::ApplyPlan => post(super::jobs::apply),
            Endpoint::Promote => post(super::jobs::promote),
            Endpoint::Job => get(super::jobs::show),
            Endpoint::JobEvents => get(super::jobs::events),
            Endpoint::Outputs => get(super::envs::outputs),
            Endpoint::Versions => get(super::envs::versions),
            Endpoint::Restore => post(super::envs::restore),
            Endpoint::Unlock => post(super::envs::unlock),
            Endpoint::Drift => post(super::envs::drift),
            Endpoint::Export => get(super::envs::export),
            Endpoint::Upgrade => post(super::envs::upgrade),
            Endpoint::DeleteProject => delete(super::envs::delete_project),
            Endpoint::TfStates => get(super::tfstate::http::names),
            Endpoint::TfVersions => get(super::tfstate::http::versions),
            Endpoint::TfRestore => post(super::tfstate::http::restore),
            Endpoint::TfUnlock => post(super::tfstate::http::break_lock),
            Endpoint::TfState => any(super::tfstate::http::state),
        }
    }
}

impl Route {
    /// The project named in `path` (a request's path matching this
    /// route), if the route has a `{project}` part.
    pub fn project_in<'a>(&self, path: &'a str) -> Option<&'a str> {
        self.param_in("project", path)
    }

    /// The part of `path` (a request's path matching this route) at the
    /// route's `{name}`, if it has one.
    pub fn param_in<'a>(&self, name: &str, path: &'a str) -> Option<&'a str> {
        let at = self
            .path
            .split('/')
            .position(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) == Some(name))?;
        path.split('/').nth(at)
    }
}

/// The router: every route of [`ROUTES`] behind the guard.
pub fn router(server: Arc<Server>) -> Router {
    let mut router = Router::new();
    for route in ROUTES {
        let guarded = route
            .endpoint
            .handler()
            .route_layer(axum::middleware::from_fn_with_state(
                super::guard::Guard {
                    server: server.clone(),
                    route,
                },
                super::guard::guard,
            ));
        router = router.route(route.path, guarded);
    }
    // Terraform's state backend: one handler for every method (LOCK and
    // UNLOCK are no method axum routes by name), behind the guard of the
    // method's route.
    let tf_state = axum::handler::Handler::with_state(
        axum::handler::Handler::layer(
            super::tfstate::http::state,
            axum::middleware::from_fn_with_state(server.clone(), super::guard::tf_guard),
        ),
        server.clone(),
    );
    router = router.route_service(TF_STATE_PATH, tf_state);
    router.fallback(handlers::not_found).with_state(server)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_openapi_document_lists_exactly_the_routes() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"].as_str().unwrap_or("").get(..3), Some("3.1"));
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if method != "parameters" {
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let routed: BTreeSet<_> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        assert_eq!(documented, routed);
    }

    #[test]
    fn the_project_is_read_from_its_place_in_the_path() {
        let status = &ROUTES[2];
        assert_eq!(status.project_in("/api/projects/shop/status"), Some("shop"));
        assert_eq!(ROUTES[1].project_in("/api/projects"), None);
    }

    #[test]
    fn the_router_accepts_every_route_of_the_table() {
        // axum panics on a malformed or duplicated path: building it is the test.
        let dir = tempfile::tempdir().unwrap();
        let server = Server::empty(dir.path());
        let _ = router(Arc::new(server));
    }
}
