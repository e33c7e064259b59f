//! The module contract: a module that declares every part of `Module` gets each of them from
//! the server with no edit beyond listing it (here, `TestAppBuilder::module`): its settings
//! loaded from the environment, its service built at start and reachable from a handler, its
//! migrations run, its routes mounted under its OpenAPI tag, its job run by the worker, its
//! schedule known to the scheduler, its room kind joinable, its codes raised.

use std::time::Duration;

use agora::app::Assembly;
use agora_core::config::{Field, Section, Setting, SettingsSection};
use agora_core::extract::Json;
use agora_core::{ApiResult, ErrorCode};
use agora_platform::identity::Viewer;
use agora_platform::jobs::{self, Job, JobContext, JobError, JobKind, Schedule};
use agora_platform::module::{ServiceContext, Services};
use agora_platform::realtime::RoomKind;
use agora_platform::{AppState, Module, Tag};
use agora_store::sea_orm::ConnectionTrait;
use agora_store::sea_orm_migration::prelude::*;
use agora_testkit::{TestApp, test_config};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const DEMO: Module = Module {
    tags: &[Tag {
        name: "demo",
        description: "A module of the tests that uses every part of the contract",
    }],
    router,
    migrations,
    settings: Some(SettingsSection::of::<DemoSettings>()),
    services,
    jobs: || vec![JobKind::new(record)],
    schedules: &[Schedule {
        kind: Record::KIND,
        cron: "0 4 * * *",
    }],
    rooms: &[RoomKind {
        kind: "demo",
        may_join: |_state, _viewer, id| Box::pin(async move { Ok(id == "open") }),
    }],
    error_codes: &[&NOT_TODAY],
    ..Module::new("demo")
};

const NOT_TODAY: ErrorCode = ErrorCode {
    status: StatusCode::CONFLICT,
    code: "not_today",
    when: "The demo module refuses a greeting of `no`.",
    what_to_do: "Nothing; it is a test.",
};

#[derive(Debug, Clone, Default)]
struct DemoSettings {
    greeting: String,
}

impl Section for DemoSettings {
    const TITLE: &'static str = "Demo";
    const FIELDS: &'static [Field<Self>] = &[Field {
        setting: Setting {
            key: "demo.greeting",
            env: "AGORA_DEMO_GREETING",
            default: "hello",
            secret: false,
            help: "What the greeter says.",
        },
        required: true,
        parse: |s, v| {
            s.greeting = v.to_owned();
            Ok(())
        },
        show: |s| s.greeting.clone(),
    }];
}

/// The service: built once from the settings, reached by the handler.
struct Greeter {
    greeting: String,
}

fn services(context: &ServiceContext<'_>, services: &mut Services) -> Result<(), String> {
    let settings = context
        .config
        .section::<DemoSettings>()
        .ok_or("the demo settings were not loaded")?;
    services.insert(Greeter {
        greeting: settings.greeting.to_uppercase(),
    })
}

fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateGreetings)]
}

struct CreateGreetings;

impl MigrationName for CreateGreetings {
    fn name(&self) -> &str {
        "m20990101_000001_demo_greetings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateGreetings {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("demo_greetings")
                    .col(ColumnDef::new("text").string().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("demo_greetings").to_owned())
            .await
    }
}

#[derive(Serialize, Deserialize)]
struct Record {
    text: String,
}

impl Job for Record {
    const KIND: &'static str = "demo.record";
}

async fn record(ctx: JobContext, job: Record) -> Result<(), JobError> {
    let insert = Query::insert()
        .into_table("demo_greetings")
        .columns(["text"])
        .values_panic([job.text.into()])
        .to_owned();
    ctx.state
        .db()
        .writer()
        .execute(&insert)
        .await
        .map_err(|err| JobError::retry(err.to_string()))?;
    Ok(())
}

fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(greet))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
struct Greeting {
    text: String,
}

/// Greets, and records the greeting through a job.
#[utoipa::path(post, path = "/demo/greetings", tag = "demo", security(("bearer" = [])),
    responses((status = 200, body = Greeting), (status = 401)))]
async fn greet(State(state): State<AppState>, _viewer: Viewer) -> ApiResult<Json<Greeting>> {
    let greeter = state.service::<Greeter>()?;
    if greeter.greeting == "NO" {
        return Err(NOT_TODAY.with_detail("not today"));
    }
    let text = format!("{}!", greeter.greeting);
    let txn = state.db().begin().await?;
    jobs::enqueue(
        &txn,
        &Record { text: text.clone() },
        agora_core::time::now(),
    )
    .await?;
    txn.commit().await?;
    state.jobs().wake();
    Ok(Json(Greeting { text }))
}

#[tokio::test]
async fn a_module_brings_its_settings_service_tables_routes_jobs_and_rooms() {
    let app = TestApp::builder()
        .module(DEMO)
        .env("AGORA_DEMO_GREETING", "good morning")
        .spawn()
        .await;
    let alice = app.register("alice").await;

    // The setting reached the service, and the service the handler.
    let greeting = app
        .post("/api/v1/demo/greetings")
        .bearer(&alice.access_token)
        .send()
        .await;
    greeting.assert_status(StatusCode::OK);
    assert_eq!(greeting.json::<Greeting>().text, "GOOD MORNING!");

    // Its migration made its table, and the worker ran its job into it.
    let mut recorded = 0;
    for _ in 0..100 {
        recorded = app.count("demo_greetings").await;
        if recorded == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(recorded, 1, "the demo.record job ran");

    // Its routes are listed under its tag, with the tag's description.
    let doc: serde_json::Value = app.get("/openapi.json").send().await.json();
    let tag = doc["tags"]
        .as_array()
        .and_then(|tags| tags.iter().find(|t| t["name"] == "demo"))
        .expect("the demo tag is listed");
    assert_eq!(tag["description"], DEMO.tags[0].description);
    assert_eq!(
        doc["paths"]["/api/v1/demo/greetings"]["post"]["tags"][0],
        "demo"
    );

    // Its room kind is joinable by its own rule.
    let mut socket = app.socket(&alice).await;
    let joined = socket.subscribe("demo:open").await;
    assert_eq!(joined["type"], "subscribed", "{joined}");
}

#[tokio::test]
async fn a_modules_code_reaches_the_client_as_a_problem() {
    let app = TestApp::builder()
        .module(DEMO)
        .env("AGORA_DEMO_GREETING", "no")
        .spawn()
        .await;
    let alice = app.register("alice").await;
    let refused = app
        .post("/api/v1/demo/greetings")
        .bearer(&alice.access_token)
        .send()
        .await;
    refused.assert_status(StatusCode::CONFLICT);
    assert_eq!(refused.problem().code, "not_today");
}

#[test]
fn a_modules_jobs_schedules_and_settings_are_registered_with_the_platforms() {
    let assembly = Assembly::default().with_module(DEMO);
    let sections = assembly.settings_sections();
    let config = agora_core::config::Config::load(
        None,
        |name| (name == "AGORA_SECRET_KEY").then(|| "x".repeat(64)),
        &sections,
    )
    .expect("the configuration loads with the demo section");
    assert_eq!(
        config
            .section::<DemoSettings>()
            .map(|s| s.greeting.as_str()),
        Some("hello"),
        "the default applies"
    );
    let kinds = assembly
        .job_kinds(&config)
        .expect("no two kinds share a name");
    for kind in [
        "demo.record",
        "email.send",
        "jobs.purge",
        "idempotency.purge",
    ] {
        assert!(kinds.get(kind).is_some(), "{kind} is registered");
    }
    let schedules: Vec<&str> = assembly.schedules(&config).iter().map(|s| s.kind).collect();
    for kind in [
        "demo.record",
        "jobs.purge",
        "idempotency.purge",
        "notifications.digest",
    ] {
        assert!(
            schedules.contains(&kind),
            "{kind} is scheduled: {schedules:?}"
        );
    }
    // Without the module, none of it.
    let config = test_config(&[]);
    let kinds = Assembly::default().job_kinds(&config).expect("kinds");
    assert!(kinds.get("demo.record").is_none());
}

#[test]
fn two_services_of_one_type_are_refused() {
    let mut services = Services::default();
    services.insert(7_u32).expect("the first");
    let err = services.insert(8_u32).expect_err("the second is refused");
    assert!(err.contains("u32"), "{err}");
    assert_eq!(services.get::<u32>(), Some(&7));
}

#[test]
fn every_operation_is_listed_under_a_tag_its_module_declares() {
    let config = test_config(&[]);
    let doc = Assembly::default().openapi_document(&config);
    let declared: Vec<&str> = agora_platform::AREAS
        .iter()
        .chain(agora::app::MODULES)
        .flat_map(|module| module.tags.iter().map(|tag| tag.name))
        .collect();
    let listed: Vec<&str> = doc["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|tag| tag["name"].as_str())
        .collect();
    let mut used = Vec::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let tags = operation["tags"]
                .as_array()
                .expect("every operation has a tag");
            for tag in tags.iter().filter_map(|tag| tag.as_str()) {
                assert!(
                    declared.contains(&tag) && listed.contains(&tag),
                    "{method} {path}: its tag `{tag}` is declared by no module"
                );
                used.push(tag);
            }
        }
    }
    for tag in listed {
        assert!(used.contains(&tag), "the tag `{tag}` lists no operation");
    }
}
