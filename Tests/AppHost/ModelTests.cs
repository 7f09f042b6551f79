using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;
using static Ichrisbirch.Tests.Support.Models;

namespace Ichrisbirch.Tests.AppHost;

/// <summary>The application model, built but not started: no process runs.</summary>
public class ModelTests
{
    private static readonly string[] ContractKeys =
    [
        "ENVIRONMENT", "LOG_LEVEL", "OTEL_SERVICE_NAME",
        "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DB", "POSTGRES_USERNAME", "POSTGRES_PASSWORD",
        "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "FASTAPI_HOST", "FASTAPI_PORT", "FASTAPI_PROTOCOL",
    ];

    private static IEnumerable<string> WaitsFor(IResource resource)
        => resource.Annotations.OfType<WaitAnnotation>().Select(w => $"{w.Resource.Name}:{w.WaitType}")
            .Concat(resource.Annotations.OfType<ServingWaitAnnotation>().Select(w => $"{w.Resource.Name}:Serving")).Order();

    [Theory]
    [InlineData("Local")]
    [InlineData("Containers")]
    public async Task WaitFor_graph_is_the_compose_chain_where_redis_need_only_start_and_a_degraded_api_serves(string mode)
    {
        var model = await AppHostModelAsync("--environment", "Development", $"--Ichrisbirch:Infrastructure={mode}");
        var byName = model.Resources.ToDictionary(r => r.Name);

        Assert.Equal(["postgres-init:WaitForCompletion", "redis:WaitUntilStarted"], WaitsFor(byName["api"]));
        Assert.Equal(["api:Serving"], WaitsFor(byName["app"]));
        Assert.Equal(["api:Serving", "postgres-init:WaitForCompletion"], WaitsFor(byName["scheduler"]));
        Assert.Equal(["postgres:WaitUntilHealthy"], WaitsFor(byName["postgres-init"])); // the services start once the role step has completed
        Assert.Empty(WaitsFor(byName["postgres"]));
    }

    [Theory]
    [InlineData("Local")]
    [InlineData("Containers")]
    public async Task The_application_database_is_a_child_of_postgres_with_the_configured_name_in_both_modes(string mode)
    {
        var model = await AppHostModelAsync("--environment", "Development", $"--Ichrisbirch:Infrastructure={mode}");
        var database = Assert.Single(model.Resources.OfType<IResourceWithParent>(), r => r.Parent.Name == "postgres");

        Assert.Equal("postgres-db", database.Name);
        Assert.Equal("ichrisbirch_dev", database switch
        {
            LocalPostgresDatabaseResource local => local.DatabaseName,
            PostgresDatabaseResource container => container.DatabaseName,
            var other => throw new InvalidOperationException($"unexpected {other.GetType().Name}"),
        });
        Assert.Equal(mode == "Local", database is LocalPostgresDatabaseResource);
        Assert.Contains("ichrisbirch_dev", ((IResourceWithConnectionString)database).ConnectionStringExpression.ValueExpression, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_resource_has_a_health_check_that_speaks_its_protocol()
    {
        var model = await AppHostModelAsync("--environment", "Development", "--Ichrisbirch:Infrastructure=Local");
        string Key(string name) => Assert.Single(model.Resources.Single(r => r.Name == name).Annotations.OfType<HealthCheckAnnotation>()).Key;

        Assert.Equal("postgres_postgres_query", Key("postgres"));
        Assert.Equal("redis_redis_ping", Key("redis"));
        AssertServicesProbeHealth(model);

        // Containers mode: Aspire's own PostgreSQL and Redis checks, the same probes on the services.
        var containers = await AppHostModelAsync("--environment", "Development", "--Ichrisbirch:Infrastructure=Containers");
        Assert.All(Stack.Services, name => Assert.NotEmpty(containers.Resources.Single(r => r.Name == name).Annotations.OfType<HealthCheckAnnotation>()));
        AssertServicesProbeHealth(containers);
    }

    private static void AssertServicesProbeHealth(DistributedApplicationModel model)
    {
        string Key(string name) => Assert.Single(model.Resources.Single(r => r.Name == name).Annotations.OfType<HealthCheckAnnotation>()).Key;
        foreach (var service in new[] { "api", "app", "scheduler" })
        {
            Assert.StartsWith($"{service}_http_", Key(service) + "_"); // Aspire's HTTP health check on the http endpoint
            Assert.Equal("/health", model.Resources.Single(r => r.Name == service).Annotations.OfType<HealthProbeAnnotation>().Single().Path);
        }
    }

    [Fact]
    public async Task Python_services_get_the_same_configuration_contract_in_local_and_container_mode()
    {
        var local = await AppHostModelAsync("--environment", "Development", "--Ichrisbirch:Infrastructure=Local");
        var containers = await AppHostModelAsync("--environment", "Development", "--Ichrisbirch:Infrastructure=Containers");

        Assert.IsType<LocalPostgresResource>(local.Resources.Single(r => r.Name == "postgres"));
        Assert.IsType<PostgresServerResource>(containers.Resources.Single(r => r.Name == "postgres"));
        Assert.Equal(local.Resources.Select(r => r.Name).Order(), containers.Resources.Select(r => r.Name).Order());

        foreach (var service in new[] { "api", "app", "scheduler" })
        {
            var a = await EnvironmentAsync(local.Resources.Single(r => r.Name == service));
            var b = await EnvironmentAsync(containers.Resources.Single(r => r.Name == service));
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
        }

        var api = await EnvironmentAsync(local.Resources.Single(r => r.Name == "api"));
        Assert.Superset(ContractKeys.Except(["FASTAPI_HOST", "FASTAPI_PORT", "FASTAPI_PROTOCOL"]).ToHashSet(), api.Keys.ToHashSet());
        Assert.Equal("development", api["ENVIRONMENT"]);
        Assert.Equal("ichrisbirch_dev", api["POSTGRES_DB"]);
        Assert.Equal("postgres", Assert.IsType<EndpointReferenceExpression>(api["POSTGRES_PORT"]).Endpoint.Resource.Name);
        Assert.Equal("redis", Assert.IsType<EndpointReferenceExpression>(api["REDIS_HOST"]).Endpoint.Resource.Name);
        Assert.Equal("ichrisbirch_app", api["POSTGRES_USERNAME"]);
        Assert.Equal("postgres-app-password", Assert.IsType<ParameterResource>(api["POSTGRES_PASSWORD"]).Name);

        var app = await EnvironmentAsync(local.Resources.Single(r => r.Name == "app"));
        Assert.Equal("api", Assert.IsType<EndpointReferenceExpression>(app["FASTAPI_PORT"]).Endpoint.Resource.Name);
        Assert.Equal("flask-secret-key", Assert.IsType<ParameterResource>(app["FLASK_SECRET_KEY"]).Name);
        Assert.Equal("api-secret-key", Assert.IsType<ParameterResource>(app["API_SECRET_KEY"]).Name);
        Assert.Equal("app-admin-password", Assert.IsType<ParameterResource>(app["APP_ADMIN_PASSWORD"]).Name);
        Assert.DoesNotContain("APP_ADMIN_PASSWORD", api.Keys); // the app's alone
        Assert.Equal("0", app["TRUSTED_PROXY_COUNT"]); // run mode: no proxy in front, X-Forwarded-For is not believed

        var scheduler = await EnvironmentAsync(local.Resources.Single(r => r.Name == "scheduler"));
        Assert.Superset(new HashSet<string> { "POSTGRES_HOST", "POSTGRES_PASSWORD", "SCHEDULER_HEALTH_HOST", "SCHEDULER_HEALTH_PORT" }, scheduler.Keys.ToHashSet());
        Assert.DoesNotContain("APP_ADMIN_PASSWORD", scheduler.Keys);
    }

    [Theory]
    [InlineData("Local")]
    [InlineData("Containers")]
    public async Task A_reference_gives_only_the_contract_so_each_service_gets_only_the_secrets_wired_to_it(string mode)
    {
        var model = await AppHostModelAsync("--environment", "Development", $"--Ichrisbirch:Infrastructure={mode}");
        var env = new Dictionary<string, HashSet<string>>();
        foreach (var service in new[] { "api", "app", "scheduler" })
        {
            env[service] = (await EnvironmentAsync(model.Resources.Single(r => r.Name == service))).Keys.ToHashSet();
            Assert.DoesNotContain(env[service], k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || k.StartsWith("services__", StringComparison.Ordinal));
        }
        Assert.Superset(new HashSet<string> { "POSTGRES_PASSWORD", "REDIS_PASSWORD", "API_SECRET_KEY" }, env["api"]);
        Assert.DoesNotContain("FLASK_SECRET_KEY", env["api"]);
        Assert.Superset(new HashSet<string> { "FLASK_SECRET_KEY", "API_SECRET_KEY", "FASTAPI_HOST" }, env["app"]);
        Assert.DoesNotContain(env["app"], k => k.StartsWith("POSTGRES_", StringComparison.Ordinal) || k.StartsWith("REDIS_", StringComparison.Ordinal));
        Assert.Contains("POSTGRES_PASSWORD", env["scheduler"]);
        // The superuser's password goes to the role step alone (and to backup and restore, in the AppHost).
        foreach (var resource in model.Resources.Where(r => r is IResourceWithEnvironment && r.Name != "postgres"))
        {
            var values = (await EnvironmentAsync(resource)).Values;
            Assert.Equal(resource.Name == "postgres-init", values.OfType<ParameterResource>().Any(p => p.Name == "postgres-password"));
        }
        Assert.DoesNotContain(env["scheduler"], k => k.StartsWith("REDIS_", StringComparison.Ordinal) || k.StartsWith("FASTAPI_", StringComparison.Ordinal) || k == "API_SECRET_KEY");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Auto_picks_containers_only_when_a_container_runtime_answers(bool runtimeAnswers)
    {
        // The topology on a bare builder over the AppHost folder, with the probe's answer given instead of asked.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            ProjectDirectory = AppHostDirectory,
            Args = ["--environment", "Development", "--Ichrisbirch:Infrastructure=Auto"],
            DisableDashboard = true,
        });
        builder.Services.AddSingleton(new Ichrisbirch.AppHost.ContainerRuntimeProbe(() => runtimeAnswers));
        Program.Ichrisbirch(builder);

        var postgres = builder.Resources.Single(r => r.Name == "postgres");
        Assert.Equal(runtimeAnswers, postgres is PostgresServerResource);
        Assert.Equal(!runtimeAnswers, postgres is LocalPostgresResource);
        Assert.Equal(runtimeAnswers, builder.Resources.Single(r => r.Name == "redis") is RedisResource);
    }

    private static string AppHostDirectory => Path.Combine(Repository.Root, "AppHost");

    [Fact]
    public async Task Python_services_run_from_the_services_virtual_environment()
    {
        var model = await AppHostModelAsync("--environment", "Development", "--Ichrisbirch:Infrastructure=Local");
        var api = model.Resources.OfType<PythonAppResource>().Single(r => r.Name == "api");
        var servicesDirectory = Repository.Services;
        Assert.Equal(servicesDirectory, api.AppDirectory);
        Assert.Equal(Path.Combine(servicesDirectory, ".venv", "bin", "python"), api.Command);
    }

    [Fact]
    public async Task Unknown_environment_is_refused_with_the_names_that_work()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModelAsync("--environment", "Staging"));
        var message = Flatten(ex);
        Assert.Contains("Unknown environment 'Staging'. Use Development, Testing or Production", message);
    }

    [Theory]
    [InlineData("--Ichrisbirch:Api:Port=70000", "Ichrisbirch:Api:Port is 70000: a port must be between 1 and 65535.")]
    [InlineData("--Ichrisbirch:PostgresPort=five", "Invalid setting in 'Ichrisbirch'")]
    public async Task Bad_port_setting_is_refused_naming_the_setting(string arg, string expected)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModelAsync("--environment", "Development", arg));
        Assert.Contains(expected, Flatten(ex));
    }

    [Fact]
    public async Task Unknown_log_level_is_refused_naming_the_setting()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => AppHostModelAsync("--environment", "Development", "--Ichrisbirch:LogLevel=loud"));
        Assert.Contains("Invalid setting in 'Ichrisbirch'", Flatten(ex));
        Assert.Contains("Ichrisbirch:LogLevel", Flatten(ex));
    }

    internal static string Flatten(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException) messages.Add(e.Message);
        return string.Join(" | ", messages);
    }
}
