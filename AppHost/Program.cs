using Ichrisbirch.AppHost;

SetupException.ReportUnhandledAsOneLine(); // a wrong setting or a missing prerequisite: one line that names the fix, exit 1
var builder = AppHostStartup.CreateBuilder(args);
Program.Ichrisbirch(builder);
builder.Build().Run();

internal partial class Program
{
    // The whole stack, read like a compose file. `dotnet run` builds it once; `aspire publish` builds it again for
    // every published environment (Production, Development, Testing) and translates each model into compose.
    internal static void Ichrisbirch(IDistributedApplicationBuilder builder)
    {
        var settings = builder.AddIchrisbirchSettings();
        builder.AddSetupChecks(settings); // run mode: secrets and free ports, before any process starts
        builder.AddSupervisor(); // restarts what exits on its own, as each resource's restart policy says

        var postgresPassword = builder.AddParameter("postgres-password", secret: true); // the superuser's: the role step, backup and restore
        var postgresAppPassword = builder.AddParameter("postgres-app-password", secret: true); // the services' role
        var redisPassword = builder.AddParameter("redis-password", secret: true);
        var apiSecretKey = builder.AddParameter("api-secret-key", secret: true);
        var flaskSecretKey = builder.AddParameter("flask-secret-key", secret: true);
        var appAdminPassword = builder.AddParameter("app-admin-password", secret: true);

        var postgres = builder.AddPostgresServer("postgres", postgresPassword, settings)
            .WithRestartPolicy(settings.RestartPolicy).WithResourceLimits(cpus: 1.0, memoryMiB: 1024);
        var postgresInit = postgres.AddApplicationRole("postgres-init", "ichrisbirch_app", postgresAppPassword, settings); // one-shot, every start
        var redis = builder.AddRedisServer("redis", redisPassword, settings)
            .WithRestartPolicy(settings.RestartPolicy).WithResourceLimits(cpus: 0.5, memoryMiB: 256);

        var api = builder.AddUvicornApp("api", settings.ServicesDirectory, "ichrisbirch.wsgi_api:api")
            .WithServiceDefaults()
            .WithServerSettings(settings.Api, settings.HostPorts)
            .WithRestartPolicy(settings.RestartPolicy).WithResourceLimits(cpus: 1.0, memoryMiB: 1024)
            .WithApiKeyAndContract(apiSecretKey)
            .WithReference(postgres).WaitForCompletion(postgresInit)
            .WithReference(redis).WaitForStart(redis); // serves without Redis (degraded): waits for its start, not its health

        var app = builder.AddFlaskApp("app", settings.ServicesDirectory, "ichrisbirch.wsgi_app:app")
            .WithServiceDefaults()
            .WithServerSettings(settings.App, settings.HostPorts)
            .WithRestartPolicy(settings.RestartPolicy).WithResourceLimits(cpus: 2.0, memoryMiB: 1024) // a worker per CPU: pages are CPU-bound
            .WithFlaskKeyAndContract(flaskSecretKey)
            .WithWritesBehindSignIn(appAdminPassword).WithClientAddressFromIngress()
            .WithReference(api).WaitForServing(api); // healthy or degraded

        var scheduler = builder.AddPythonModule("scheduler", settings.ServicesDirectory, "ichrisbirch.wsgi_scheduler")
            .WithSchedulerHealthAndInterval(settings)
            .WithServiceDefaults().WithSingleInstance()
            .WithRestartPolicy(settings.RestartPolicy).WithResourceLimits(cpus: 1.0, memoryMiB: 1024)
            .WithReference(postgres).WaitForCompletion(postgresInit)
            .WaitForServing(api); // after the api, without its address or key: the scheduler reads neither

        if (settings.TestRunner) builder.AddTestRunner(settings, postgres, redis, api, app, scheduler);

        builder.AddComposeDeployment(Ichrisbirch).WithIngress("/", app).WithIngress("/api/", api);
        builder.AddKubernetesDeployment(Ichrisbirch, settings.Kubernetes).WithIngress("/", app).WithIngress("/api/", api).WithAutoscaling(api, min: 2, max: 6);
    }
}
