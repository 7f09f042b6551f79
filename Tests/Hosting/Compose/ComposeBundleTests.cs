namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>What `aspire publish` writes for production, and the overrides, read back as YAML.</summary>
public class ComposeBundleTests(PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    private static readonly string[] PythonServices = ["api", "app", "scheduler"];

    [Fact]
    public void Bundle_has_the_compose_files_env_example_nginx_conf_and_the_services_source()
    {
        foreach (var file in new[] { "docker-compose.yml", "docker-compose.dev.yml", "docker-compose.test.yml", ".env.example", "nginx/http.conf", "nginx/https.conf", "nginx/tls-not-set", "services/Dockerfile" })
        {
            Assert.True(File.Exists(Path.Combine(bundle.Directory, file)), $"{file} missing");
        }
        var copied = Directory.EnumerateFileSystemEntries(Path.Combine(bundle.Directory, "services"), "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(bundle.Directory, p)).ToList();
        Assert.Contains(Path.Combine("services", "ichrisbirch", "healthcheck.py"), copied);
        Assert.DoesNotContain(copied, p => p.Split(Path.DirectorySeparatorChar).Any(s => s is ".venv" or "__pycache__" or ".pytest_cache") || p.EndsWith(".pyc"));
    }

    [Fact]
    public void Python_services_build_the_production_target_of_the_bundled_services_folder()
    {
        foreach (var name in PythonServices)
        {
            var build = bundle.Services.Map(name, "build");
            Assert.Equal("./services", build["context"]);
            Assert.Equal("Dockerfile", build["dockerfile"]);
            Assert.Equal("production", build["target"]);
            Assert.DoesNotContain("volumes", bundle.Services.Map(name).Keys); // no source mounts
        }
        Assert.Equal(["-m", "gunicorn", "ichrisbirch.wsgi_api:api", "--worker-class", "uvicorn.workers.UvicornWorker", "--bind", "0.0.0.0:8000"],
            bundle.Services.Map("api").List("command"));
        Assert.Equal(["-m", "gunicorn", "ichrisbirch.wsgi_app:app", "--bind", "0.0.0.0:5000"], bundle.Services.Map("app").List("command"));
    }

    [Fact]
    public void Only_nginx_is_published_and_no_container_names_block_scaling()
    {
        foreach (var (name, service) in bundle.Services.Select(s => ((string)s.Key, (Dictionary<object, object>)s.Value)))
        {
            Assert.DoesNotContain("container_name", service.Keys);
            if (name != "nginx") Assert.False(service.ContainsKey("ports"), $"{name} publishes a host port in production");
        }
        var nginx = bundle.Services.Map("nginx");
        Assert.StartsWith("nginx:1.27", (string)nginx["image"]);
        Assert.Equal(["80", "443"], nginx.List("ports").Select(p => ((Dictionary<object, object>)p)["target"]));

        var conf = File.ReadAllText(Path.Combine(bundle.Directory, "nginx", "https.conf"));
        Assert.Contains("resolver 127.0.0.11", conf); // per-request DNS: every replica of --scale api=3
        Assert.Contains("location /api/ {", conf);
        Assert.Contains("set $upstream_api api:8000;", conf);
        Assert.Contains("set $upstream_app app:5000;", conf);
    }

    [Fact]
    public void Every_service_has_a_healthcheck_restart_policy_log_rotation_limits_and_graceful_stop_from_the_model()
    {
        foreach (var (name, service) in bundle.Services.Select(s => ((string)s.Key, (Dictionary<object, object>)s.Value)))
        {
            Assert.True(service.ContainsKey("healthcheck"), $"{name} has no healthcheck");
            Assert.Equal("always", service["restart"]);
            var logging = service.Map("logging");
            Assert.Equal("json-file", logging["driver"]);
            Assert.Equal("10m", logging.Map("options")["max-size"]);
            Assert.Equal("3", logging.Map("options")["max-file"]);
            Assert.True(service.Map("deploy", "resources", "limits").ContainsKey("memory"), $"{name} has no memory limit");
        }
        // WithResourceLimits in Program.cs, WithHealthCheckTiming in the wiring.
        Assert.Equal(("1.0", "1024M"), ((string)bundle.Services.Map("api", "deploy", "resources", "limits")["cpus"], (string)bundle.Services.Map("api", "deploy", "resources", "limits")["memory"]));
        Assert.Equal(("0.5", "256M"), ((string)bundle.Services.Map("redis", "deploy", "resources", "limits")["cpus"], (string)bundle.Services.Map("redis", "deploy", "resources", "limits")["memory"]));
        Assert.Equal("10s", bundle.Services.Map("postgres", "healthcheck")["interval"]);
        foreach (var name in PythonServices) Assert.Equal("35s", bundle.Services.Map(name)["stop_grace_period"]);

        var api = bundle.Services.Map("api", "healthcheck");
        Assert.Equal(["CMD", "python", "-m", "ichrisbirch.healthcheck", "http://localhost:8000/health"], api.List("test"));
        Assert.Equal(("30s", "10s", "5s", "3"), ((string)api["interval"], (string)api["timeout"], (string)api["start_period"], (string)api["retries"]));
        Assert.Equal("http://localhost:5000/health", bundle.Services.Map("app", "healthcheck").List("test").Last());
        Assert.Equal("http://localhost:8100/health", bundle.Services.Map("scheduler", "healthcheck").List("test").Last());
    }

    [Fact]
    public void Depends_on_follows_WaitFor_with_service_healthy_a_degraded_api_passing_and_redis_only_started()
    {
        static Dictionary<string, string> Deps(Dictionary<object, object> services, string name)
            => services.Map(name, "depends_on").ToDictionary(d => (string)d.Key, d => (string)((Dictionary<object, object>)d.Value)["condition"]);

        Assert.Equal(new() { ["postgres"] = "service_healthy", ["redis"] = "service_started" }, Deps(bundle.Services, "api"));
        Assert.Equal(new() { ["api"] = "service_healthy" }, Deps(bundle.Services, "app"));
        Assert.Equal(new() { ["api"] = "service_healthy", ["postgres"] = "service_healthy" }, Deps(bundle.Services, "scheduler"));
        Assert.Equal(new() { ["api"] = "service_healthy", ["app"] = "service_healthy" }, Deps(bundle.Services, "nginx"));
    }

    [Fact]
    public void Each_python_service_gets_only_what_the_model_wires_to_it()
    {
        string[] Keys(string name) => bundle.Services.Map(name, "environment").Keys.Cast<string>().Order(StringComparer.Ordinal).ToArray();
        string[] common = ["ENVIRONMENT", "LOG_LEVEL", "OTEL_SERVICE_NAME", "PYTHONUNBUFFERED"];
        string[] postgres = ["POSTGRES_DB", "POSTGRES_HOST", "POSTGRES_PASSWORD", "POSTGRES_PORT", "POSTGRES_USERNAME"];
        string[] api = ["API_SECRET_KEY", "FASTAPI_HOST", "FASTAPI_PORT", "FASTAPI_PROTOCOL"];
        Assert.Equal(Sorted([.. common, .. postgres, "API_SECRET_KEY", "REDIS_HOST", "REDIS_PASSWORD", "REDIS_PORT"]), Keys("api"));
        Assert.Equal(Sorted([.. common, .. api, "APP_ADMIN_PASSWORD", "FLASK_SECRET_KEY", "TRUSTED_PROXY_COUNT"]), Keys("app")); // the public-facing app holds no database or cache password
        Assert.Equal(Sorted([.. common, .. postgres, "SCHEDULER_HEALTH_HOST", "SCHEDULER_HEALTH_PORT"]), Keys("scheduler")); // waits for the api, never calls it

        var env = bundle.Services.Map("api", "environment");
        Assert.Equal(("production", "postgres", "5432", "ichrisbirch", "redis"),
            ((string)env["ENVIRONMENT"], (string)env["POSTGRES_HOST"], (string)env["POSTGRES_PORT"], (string)env["POSTGRES_DB"], (string)env["REDIS_HOST"]));
        Assert.Equal("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", env["POSTGRES_PASSWORD"]);
        Assert.Equal(("api", "8000"), ((string)bundle.Services.Map("app", "environment")["FASTAPI_HOST"], (string)bundle.Services.Map("app", "environment")["FASTAPI_PORT"]));
        Assert.Equal("0.0.0.0", bundle.Services.Map("scheduler", "environment")["SCHEDULER_HEALTH_HOST"]);
        Assert.Equal("1", bundle.Services.Map("app", "environment")["TRUSTED_PROXY_COUNT"]); // behind nginx
    }

    private static string[] Sorted(string[] keys) => keys.Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Postgres_and_redis_keep_named_volumes_and_protocol_healthchecks()
    {
        var postgres = bundle.Services.Map("postgres");
        Assert.Equal("docker.io/library/postgres:15", postgres["image"]); // the pin of appsettings.json, as Local mode runs
        var data = (Dictionary<object, object>)Assert.Single(postgres.List("volumes"));
        Assert.Equal(("postgres_data", "/var/lib/postgresql/data"), ((string)data["source"], (string)data["target"]));
        Assert.Equal("docker.io/library/redis:7", bundle.Services.Map("redis")["image"]);
        Assert.Equal(["CMD-SHELL", "pg_isready -U postgres -d $${POSTGRES_DB}"], postgres.Map("healthcheck").List("test"));

        var redis = bundle.Services.Map("redis");
        Assert.Contains("--requirepass $$REDIS_PASSWORD", string.Join(' ', redis.List("command")));
        Assert.Equal("${REDIS_PASSWORD:?set REDIS_PASSWORD in .env}", redis.Map("environment")["REDIS_PASSWORD"]);
        Assert.Equal(["CMD-SHELL", "redis-cli -a \"$$REDIS_PASSWORD\" --no-auth-warning ping | grep PONG"], redis.Map("healthcheck").List("test"));
        Assert.Equal(["postgres_data", "redis_data"], bundle.Production.Map("volumes").Keys.Cast<string>().Order());
    }

    [Fact]
    public void Development_override_publishes_external_ports_reloads_and_mounts_the_declared_live_source()
    {
        var services = Publisher.ReadYaml(Path.Combine(bundle.Directory, "docker-compose.dev.yml")).Map("services");
        Assert.Equal(new[] { ("api", "8000"), ("app", "5000"), ("postgres", "5432"), ("redis", "6379") },
            new[] { "api", "app", "postgres", "redis" }.Select(s => (s, (string)((Dictionary<object, object>)services.Map(s).List("ports")[0])["published"])));
        Assert.Equal("development", services.Map("api", "build")["target"]);
        Assert.Contains("--reload", services.Map("api").List("command"));
        Assert.Equal(["-m", "uvicorn"], services.Map("api").List("command").Take(2));
        Assert.Equal(["-m", "flask"], services.Map("app").List("command").Take(2));
        Assert.Contains("--reload", services.Map("app").List("command"));
        Assert.Equal("ichrisbirch_dev", services.Map("postgres", "environment")["POSTGRES_DB"]);
        Assert.Equal("ichrisbirch_dev", services.Map("api", "environment")["POSTGRES_DB"]);
        Assert.Equal("development", services.Map("scheduler", "environment")["ENVIRONMENT"]);
        var source = (Dictionary<object, object>)Assert.Single(services.Map("api").List("volumes"));
        Assert.Equal(("bind", "./services", "/app"), ((string)source["type"], (string)source["source"], (string)source["target"]));
        Assert.DoesNotContain("volumes", services.Map("scheduler").Keys); // not a reloading server
        Assert.DoesNotContain("ports", services.Map("scheduler").Keys); // its endpoint is not external
    }

    [Fact]
    public void Testing_override_uses_its_ports_an_in_memory_database_and_the_models_test_runner()
    {
        var services = Publisher.ReadYaml(Path.Combine(bundle.Directory, "docker-compose.test.yml")).Map("services");
        Assert.Equal(new[] { ("api", "8001"), ("app", "5001"), ("postgres", "5434"), ("redis", "6380") },
            new[] { "api", "app", "postgres", "redis" }.Select(s => (s, (string)((Dictionary<object, object>)services.Map(s).List("ports")[0])["published"])));
        var dataMount = (Dictionary<object, object>)Assert.Single(services.Map("postgres").List("volumes"));
        Assert.Equal(("tmpfs", "/var/lib/postgresql/data"), ((string)dataMount["type"], (string)dataMount["target"])); // the model's scratch volume
        Assert.Equal("ichrisbirch_test", services.Map("postgres", "environment")["POSTGRES_DB"]);
        Assert.Equal("testing", services.Map("api", "build")["target"]);

        var runner = services.Map("test-runner");
        Assert.Equal(["-m", "pytest", "tests/live"], runner.List("command"));
        Assert.Equal(["python"], runner.List("entrypoint"));
        Assert.Equal(["api", "app", "postgres", "redis", "scheduler"], runner.Map("depends_on").Keys.Cast<string>().Order());
        Assert.All(runner.Map("depends_on").Values, d => Assert.Equal("service_healthy", ((Dictionary<object, object>)d)["condition"]));
        Assert.Equal("ichrisbirch_test", runner.Map("environment")["POSTGRES_DB"]);
        Assert.Equal("no", runner["restart"]); // the Testing model's explicit policy
        Assert.Equal("testing", runner.Map("build")["target"]);
    }

    [Fact]
    public void No_secret_value_is_written_and_env_example_lists_every_referenced_variable()
    {
        foreach (var file in Directory.EnumerateFiles(bundle.Directory, "*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            foreach (var secret in Publisher.Secrets.Values) Assert.DoesNotContain(secret, text);
        }

        var example = File.ReadAllLines(Path.Combine(bundle.Directory, ".env.example"));
        var listed = example.Where(l => l.Contains('=') && !l.StartsWith('#')).Select(l => l[..l.IndexOf('=')]).ToHashSet();
        var referenced = new[] { "docker-compose.yml", "docker-compose.dev.yml", "docker-compose.test.yml" }
            .SelectMany(f => File.ReadLines(Path.Combine(bundle.Directory, f)).Where(l => !l.TrimStart().StartsWith('#')))
            .SelectMany(l => System.Text.RegularExpressions.Regex.Matches(l, @"(?<!\$)\$\{([A-Z0-9_]+)").Select(m => m.Groups[1].Value))
            .ToHashSet();
        Assert.Equal(["API_SECRET_KEY", "APP_ADMIN_PASSWORD", "FLASK_SECRET_KEY", "HTTPS_PORT", "HTTP_PORT", "NGINX_PROTOCOL", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "TLS_CERTIFICATE", "TLS_CERTIFICATE_KEY"], referenced.Order(StringComparer.Ordinal));
        Assert.Subset(listed, referenced);
        foreach (var name in listed)
        {
            var index = Array.FindIndex(example, l => l.StartsWith(name + "="));
            while (index > 0 && example[index - 1].Contains('=') && !example[index - 1].StartsWith('#')) index--;
            Assert.StartsWith("#", example[index - 1]); // a comment for each variable or group of variables
        }
    }

    [Fact]
    public void Nothing_of_the_publishing_machine_is_written()
    {
        foreach (var file in new[] { "docker-compose.yml", "docker-compose.dev.yml", "docker-compose.test.yml", ".env.example", "nginx/http.conf", "nginx/https.conf" })
        {
            var text = File.ReadAllText(Path.Combine(bundle.Directory, file));
            Assert.DoesNotContain(Publisher.RepoRoot, text);
            Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), text);
            Assert.DoesNotContain("apphost-", text); // Aspire's hashed volume names
        }
    }
}
