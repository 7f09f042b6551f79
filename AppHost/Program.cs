using Ichrisbirch.AppHost;

var builder = Launch.CreateBuilder(args);
var settings = builder.AddIchrisbirchSettings();

var postgresPassword = builder.AddParameter("postgres-password", secret: true);
var redisPassword = builder.AddParameter("redis-password", secret: true);
var apiSecretKey = builder.AddParameter("api-secret-key", secret: true);
var flaskSecretKey = builder.AddParameter("flask-secret-key", secret: true);

var postgres = builder.AddPostgresServer("postgres", postgresPassword, settings)
    .WithRestartPolicy(settings.RestartPolicy);
var redis = builder.AddRedisServer("redis", redisPassword, settings)
    .WithRestartPolicy(settings.RestartPolicy);

var api = builder.AddUvicornApp("api", settings.ServicesDirectory, "ichrisbirch.wsgi_api:api")
    .WithServiceDefaults()
    .WithServer(settings.Api)
    .WithRestartPolicy(settings.RestartPolicy)
    .WithApiSecretKey(apiSecretKey)
    .WithReference(postgres).WaitFor(postgres)
    .WithReference(redis).WaitFor(redis);

var app = builder.AddFlaskApp("app", settings.ServicesDirectory, "ichrisbirch.wsgi_app:app")
    .WithServiceDefaults()
    .WithServer(settings.App)
    .WithRestartPolicy(settings.RestartPolicy)
    .WithFlaskSecretKey(flaskSecretKey)
    .WithReference(api).WaitFor(api);

var scheduler = builder.AddPythonModule("scheduler", settings.ServicesDirectory, "ichrisbirch.wsgi_scheduler")
    .WithSchedulerHealth(settings)
    .WithServiceDefaults()
    .WithRestartPolicy(settings.RestartPolicy)
    .WithReference(postgres).WaitFor(postgres)
    .WithReference(api).WaitFor(api);

builder.AddTestRunner(settings, postgres, redis, api, app, scheduler);

builder.AddDockerComposeEnvironment("compose").WithIngress("/", app).WithIngress("/api/", api);

builder.Build().Run();
