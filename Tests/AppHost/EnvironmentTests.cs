using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Tests.EndToEnd;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.AppHost;

/// <summary>Development, Testing and Production as data: what each environment's model holds (nothing started).</summary>
public class EnvironmentTests
{
    private static async Task<string[]> ArgsAsync(IResource resource)
    {
        var args = new List<object>();
        var context = new CommandLineArgsCallbackContext(args, resource, CancellationToken.None);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>()) await callback.Callback(context);
        return args.Select(a => a as string ?? "{endpoint}").ToArray();
    }

    private static int? HostPort(IResource resource, string endpoint)
        => resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpoint).Port;

    private static (IResource, EndpointProperty) Target(object value)
        => Assert.IsType<EndpointReferenceExpression>(value) is var e ? (e.Endpoint.Resource, e.Property) : default;

    [Theory]
    [InlineData("Development", 8000, 5000, 5432, 6379, "ichrisbirch_dev", false)]
    [InlineData("Testing", 8001, 5001, 5434, 6380, "ichrisbirch_test", true)]
    [InlineData("Production", 8000, 5000, 5432, 6379, "ichrisbirch", false)]
    public async Task Each_environment_has_its_ports_database_and_persistence(
        string environment, int api, int app, int postgres, int redis, string database, bool inMemory)
    {
        var model = await Models.AppHostModelAsync("--environment", environment, "--Ichrisbirch:Infrastructure=Local");
        IResource R(string name) => model.Resources.Single(r => r.Name == name);

        Assert.Equal(api, HostPort(R("api"), "http"));
        Assert.Equal(app, HostPort(R("app"), "http"));
        Assert.Equal(postgres, HostPort(R("postgres"), "tcp"));
        Assert.Equal(redis, HostPort(R("redis"), "tcp"));
        // Services reach the local servers on their own ports, not through DCP's proxy (AppHost/Infrastructure.cs).
        var apiEnvironment = await Models.EnvironmentAsync(R("api"));
        Assert.Equal((R("postgres"), EndpointProperty.TargetPort), Target(apiEnvironment["POSTGRES_PORT"]));
        Assert.Equal((R("redis"), EndpointProperty.TargetPort), Target(apiEnvironment["REDIS_PORT"]));
        Assert.All([R("postgres"), R("redis")], r => Assert.NotNull(r.Annotations.OfType<EndpointAnnotation>().Single().TargetPort));

        var pg = Assert.IsType<LocalPostgresResource>(R("postgres"));
        Assert.Equal([database], pg.Databases.Values);
        Assert.Equal(inMemory, pg.InMemory);
        Assert.Equal(!inMemory, Assert.IsType<LocalRedisResource>(R("redis")).Persistent);
        Assert.Equal(database, (await Models.EnvironmentAsync(R("api")))["POSTGRES_DB"]);
        Assert.Equal(environment.ToLowerInvariant(), (await Models.EnvironmentAsync(R("scheduler")))["ENVIRONMENT"]);
        Assert.Equal(environment == "Testing", model.Resources.Any(r => r.Name == "test-runner"));
    }

    [Theory]
    [InlineData("Development", true)]
    [InlineData("Testing", true)]
    [InlineData("Production", false)]
    public async Task Only_Production_serves_api_and_app_without_DCP_proxy_on_their_fixed_ports(string environment, bool proxied)
    {
        var model = await Models.AppHostModelAsync("--environment", environment, "--Ichrisbirch:Infrastructure=Local");
        foreach (var name in new[] { "api", "app" })
        {
            var endpoint = model.Resources.Single(r => r.Name == name).Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");
            Assert.Equal(proxied, endpoint.IsProxied);
            // Proxied, the server's own port is fixed as well (below the ephemeral range): the health check reaches it
            // directly rather than through DCP's proxy, which accepts before the server listens.
            if (proxied) Assert.InRange(endpoint.TargetPort ?? 0, 20000, 32767);
        }
    }

    [Theory]
    [InlineData("Development", null)]
    [InlineData("Testing", null)]
    [InlineData("Production", "off")]
    public async Task Only_Production_run_mode_turns_the_per_request_access_log_off(string environment, string? accessLog)
    {
        var model = await Models.AppHostModelAsync("--environment", environment, "--Ichrisbirch:Infrastructure=Local");
        foreach (var name in new[] { "api", "app" })
        {
            var env = await Models.EnvironmentAsync(model.Resources.Single(r => r.Name == name));
            Assert.Equal(accessLog, env.TryGetValue("ACCESS_LOG", out var value) ? value : null);
        }
        // Published, every environment logs each request (each replica's container log): the compose golden files hold no ACCESS_LOG.
        foreach (var file in Directory.GetFiles(Path.Combine(Repository.Root, "Tests", "Hosting", "Compose", "golden"), "docker-compose*.yml"))
        {
            Assert.DoesNotContain("ACCESS_LOG", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Development_serves_with_reload_and_debug_logging()
    {
        var model = await Models.AppHostModelAsync("--environment", "Development", "--Ichrisbirch:Infrastructure=Local");
        var api = await ArgsAsync(model.Resources.Single(r => r.Name == "api"));
        Assert.Equal(["-m", "uvicorn", "ichrisbirch.wsgi_api:api", "--host", "127.0.0.1", "--port", "{endpoint}", "--reload", "--reload-dir", "ichrisbirch"], api);
        var app = await ArgsAsync(model.Resources.Single(r => r.Name == "app"));
        Assert.Equal(["-m", "flask", "--app", "ichrisbirch.wsgi_app:app", "run", "--host", "127.0.0.1", "--port", "{endpoint}", "--debugger", "--reload"], app);
        Assert.Equal("debug", (await Models.EnvironmentAsync(model.Resources.Single(r => r.Name == "api")))["LOG_LEVEL"]);
    }

    [Fact]
    public async Task Testing_serves_without_reload()
    {
        var model = await Models.AppHostModelAsync("--environment", "Testing", "--Ichrisbirch:Infrastructure=Local");
        Assert.DoesNotContain("--reload", await ArgsAsync(model.Resources.Single(r => r.Name == "api")));
        Assert.Contains("--no-reload", await ArgsAsync(model.Resources.Single(r => r.Name == "app")));
        var runner = await ArgsAsync(model.Resources.Single(r => r.Name == "test-runner"));
        Assert.Equal(["-m", "pytest", "tests/live"], runner);
    }

    [Fact]
    public async Task Production_serves_through_gunicorn_and_leaves_the_worker_count_to_gunicorn_conf()
    {
        var model = await Models.AppHostModelAsync("--environment", "Production", "--Ichrisbirch:Infrastructure=Local");
        var api = await ArgsAsync(model.Resources.Single(r => r.Name == "api"));
        Assert.Equal(["-m", "gunicorn", "ichrisbirch.wsgi_api:api", "--worker-class", "uvicorn.workers.UvicornWorker", "--bind", "{endpoint}"], api);
        var app = await ArgsAsync(model.Resources.Single(r => r.Name == "app"));
        Assert.Equal(["-m", "gunicorn", "ichrisbirch.wsgi_app:app", "--bind", "{endpoint}"], app);
        Assert.Equal("info", (await Models.EnvironmentAsync(model.Resources.Single(r => r.Name == "api")))["LOG_LEVEL"]);
    }

    [Fact]
    public async Task Passwords_and_keys_are_secret_parameters()
    {
        var model = await Models.AppHostModelAsync("--environment", "Production", "--Ichrisbirch:Infrastructure=Local");
        var parameters = model.Resources.OfType<ParameterResource>().ToDictionary(p => p.Name);
        Assert.Equal(["api-secret-key", "app-admin-password", "flask-secret-key", "postgres-app-password", "postgres-password", "redis-password"], parameters.Keys.Order());
        Assert.All(parameters.Values, p => Assert.True(p.Secret, p.Name));
    }

    [Fact]
    public async Task Env_file_values_feed_parameters_below_the_command_line()
    {
        using var folder = new ScratchDirectory();
        await File.WriteAllTextAsync(Path.Combine(folder.Path, ".test.env"),
            "# migrated from compose\nPOSTGRES_PASSWORD=from-env-file\nPOSTGRES_APP_PASSWORD=app-from-env-file\nexport REDIS_PASSWORD=\"quoted value\"\nPOSTGRES_DB=legacy_test\nUNRELATED=1\n");

        var model = await Models.AppHostModelAsync("--environment", "Testing", "--Ichrisbirch:Infrastructure=Local",
            $"--Ichrisbirch:EnvFilesDirectory={folder.Path}", "--Parameters:api-secret-key=from-command-line");
        async Task<string?> Value(string name) => await model.Resources.OfType<ParameterResource>().Single(p => p.Name == name).GetValueAsync(default);

        Assert.Equal("from-env-file", await Value("postgres-password"));
        Assert.Equal("app-from-env-file", await Value("postgres-app-password"));
        Assert.Equal("quoted value", await Value("redis-password"));
        Assert.Equal("from-command-line", await Value("api-secret-key"));
        Assert.Equal(["legacy_test"], model.Resources.OfType<LocalPostgresResource>().Single().Databases.Values);
    }

    [Theory]
    [InlineData("POSTGRES_PASSWORD=ok\nthis line has no equals sign\n", 2, "expected KEY=VALUE")]
    [InlineData("REDIS_PASSWORD=\"unterminated\n", 1, "unterminated quote in the value of REDIS_PASSWORD")]
    public async Task Malformed_env_file_is_an_error_naming_file_and_line(string content, int line, string expected)
    {
        using var folder = new ScratchDirectory();
        var file = Path.Combine(folder.Path, ".dev.env");
        await File.WriteAllTextAsync(file, content);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Models.AppHostModelAsync("--environment", "Development", $"--Ichrisbirch:EnvFilesDirectory={folder.Path}"));
        var message = ModelTests.Flatten(ex);
        Assert.Contains($"{file}:{line}: {expected}", message);
        Assert.DoesNotContain("unterminated\"", message.Replace("unterminated quote", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Production_without_secrets_stops_before_any_process_starts_listing_every_missing_one()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--environment", "Production", "--Ichrisbirch:Infrastructure=Local"]);
        await using var app = await builder.BuildAsync();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        var message = ModelTests.Flatten(ex);
        Assert.Contains("Production needs a value for the secret parameter(s) postgres-password, postgres-app-password, redis-password, api-secret-key, flask-secret-key, app-admin-password", message);
        Assert.Contains("dotnet user-secrets set Parameters:NAME VALUE --project AppHost", message);
        Assert.Contains(".prod.env", message);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var name in Stack.Services)
        {
            Assert.False(notifications.TryGetCurrentState(name, out var e) && e.Snapshot.Properties.Any(p => p.Name == "executable.pid"), $"{name} was started");
        }
    }

    [Fact]
    public async Task Busy_fixed_port_is_refused_naming_resource_port_and_setting()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--environment", "Testing", "--Ichrisbirch:Infrastructure=Local", "--DcpPublisher:RandomizePorts=false", $"--Ichrisbirch:Api:Port={port}", "--Ichrisbirch:TestRunner=false"]);
        await using var app = await builder.BuildAsync();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.Contains($"api: port {port} is already in use (setting Ichrisbirch:Api:Port)", ModelTests.Flatten(ex));
    }
}
