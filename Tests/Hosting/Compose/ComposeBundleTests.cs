namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>What `aspire publish` writes for production, and the overrides, read back as YAML.</summary>
public class ComposeBundleTests(PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    private static readonly string[] PythonServices = ["api", "app", "scheduler"];

    [Fact]
    public void Bundle_has_the_compose_files_env_example_nginx_conf_and_the_services_source()
    {
        foreach (var file in new[] { "docker-compose.yml", "docker-compose.dev.yml", "docker-compose.test.yml", ".env.example", "nginx/http.conf", "nginx/https.conf", "nginx/start.sh", "nginx/tls-not-set", "services/Dockerfile" })
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
        // One host address from .env (docker-compose 1.29: only in the short syntax), the ports from .env too.
        Assert.Equal(["${NGINX_HOST_IP:-0.0.0.0}:${HTTP_PORT:-80}:80/tcp", "${NGINX_HOST_IP:-0.0.0.0}:${HTTPS_PORT:-443}:443/tcp"], nginx.List("ports"));

        var conf = File.ReadAllText(Path.Combine(bundle.Directory, "nginx", "https.conf"));
        Assert.Contains("location /api/ {", conf);
        Assert.Contains("upstream api {\n        server api:8000;\n        keepalive 32;", conf); // keep-alive, every replica resolved at (re)load
        Assert.Contains("upstream app {\n        server app:5000;\n        keepalive 32;", conf);
        Assert.DoesNotContain("resolver", conf);
        Assert.DoesNotContain("proxy_pass http://$", conf); // a variable would open a connection per request
        Assert.Contains("for name in app api; do", File.ReadAllText(Path.Combine(bundle.Directory, "nginx", "start.sh"))); // reload on new addresses
    }

    [Fact]
    public void Nginx_runs_one_worker_per_cpu_of_its_limit_and_caches_tls_sessions()
    {
        var cpus = double.Parse((string)bundle.Services.Map("nginx", "deploy", "resources", "limits")["cpus"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(cpus >= 1.0, $"nginx is limited to {cpus} CPU: TLS and proxying for the whole stack on less than one core");
        foreach (var file in new[] { "http.conf", "https.conf" })
        {
            var conf = File.ReadAllText(Path.Combine(bundle.Directory, "nginx", file));
            Assert.Contains($"worker_processes {(int)Math.Ceiling(cpus)};", conf); // not auto: one per host core
        }
        Assert.Contains("ssl_session_cache shared:", File.ReadAllText(Path.Combine(bundle.Directory, "nginx", "https.conf")));
    }

    [Fact]
    public void Every_service_has_a_healthcheck_restart_policy_log_rotation_limits_and_graceful_stop_from_the_model()
    {
        foreach (var (name, service) in bundle.Services.Select(s => ((string)s.Key, (Dictionary<object, object>)s.Value)))
        {
            // The one-shot role step runs once per `up` and is never restarted; every other service runs until stopped.
            Assert.True(service.ContainsKey("healthcheck") == (name != "postgres-init"), $"{name}: healthcheck");
            Assert.Equal(name == "postgres-init" ? "no" : "always", service["restart"]);
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
        Assert.Equal(["CMD", "python3", "-m", "ichrisbirch.healthcheck", "http://localhost:8000/health"], api.List("test"));
        Assert.Equal(("10s", "10s", "5s", "3"), ((string)api["interval"], (string)api["timeout"], (string)api["start_period"], (string)api["retries"]));
        Assert.Equal("http://localhost:5000/health", bundle.Services.Map("app", "healthcheck").List("test").Last());
        Assert.Equal("http://localhost:8100/health", bundle.Services.Map("scheduler", "healthcheck").List("test").Last());
    }

    [Fact]
    public void Depends_on_follows_WaitFor_with_service_healthy_a_degraded_api_passing_and_redis_only_started()
    {
        static Dictionary<string, string> Deps(Dictionary<object, object> services, string name)
            => services.Map(name, "depends_on").ToDictionary(d => (string)d.Key, d => (string)((Dictionary<object, object>)d.Value)["condition"]);

        Assert.Equal(new() { ["postgres"] = "service_healthy" }, Deps(bundle.Services, "postgres-init"));
        Assert.Equal(new() { ["postgres-init"] = "service_completed_successfully", ["redis"] = "service_started" }, Deps(bundle.Services, "api"));
        Assert.Equal(new() { ["api"] = "service_healthy" }, Deps(bundle.Services, "app"));
        Assert.Equal(new() { ["api"] = "service_healthy", ["postgres-init"] = "service_completed_successfully" }, Deps(bundle.Services, "scheduler"));
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
        Assert.Equal("${POSTGRES_APP_PASSWORD:?set POSTGRES_APP_PASSWORD in .env}", env["POSTGRES_PASSWORD"]);
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
        var data = (Dictionary<object, object>)Assert.Single(postgres.List("volumes"), v => (string)((Dictionary<object, object>)v)["type"] == "volume");
        Assert.Equal(("postgres_data", "/var/lib/postgresql/data"), ((string)data["source"], (string)data["target"]));
        Assert.Equal("docker.io/library/redis:7", bundle.Services.Map("redis")["image"]);
        // Over TCP: the image's temporary init server (socket only) is never reported ready.
        Assert.Equal(["CMD-SHELL", "pg_isready -h 127.0.0.1 -U postgres -d $${POSTGRES_DB}"], postgres.Map("healthcheck").List("test"));
        Assert.Equal(["postgres_data", "redis_data"], bundle.Production.Map("volumes").Keys.Cast<string>().Order());
    }

    [Fact]
    public void Redis_runs_under_the_images_entrypoint_with_its_password_never_on_redis_clis_command_line_and_bounded_memory()
    {
        var redis = bundle.Services.Map("redis");
        Assert.DoesNotContain("entrypoint", redis.Keys); // the image's: it drops to its redis user for redis-server
        var command = redis.List("command").Cast<string>().ToList();
        Assert.Equal(["redis-server", "--requirepass", "${REDIS_PASSWORD:?set REDIS_PASSWORD in .env}"], command.Take(3));
        Assert.Equal("${REDIS_PASSWORD:?set REDIS_PASSWORD in .env}", redis.Map("environment")["REDISCLI_AUTH"]);
        Assert.Equal(["CMD-SHELL", "redis-cli ping | grep PONG"], redis.Map("healthcheck").List("test"));
        foreach (var file in new[] { "docker-compose.yml", "docker-compose.dev.yml", "docker-compose.test.yml" })
        {
            Assert.DoesNotMatch(@"redis-cli[^\n]* -a ", File.ReadAllText(Path.Combine(bundle.Directory, file)));
        }

        var limit = int.Parse(((string)redis.Map("deploy", "resources", "limits")["memory"]).TrimEnd('M'), System.Globalization.CultureInfo.InvariantCulture);
        var maxmemory = int.Parse(command[command.IndexOf("--maxmemory") + 1].Replace("mb", ""), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(maxmemory, limit / 2, limit - 32); // room for Redis' own overhead and a snapshot's fork below the limit
        Assert.Equal("allkeys-lru", command[command.IndexOf("--maxmemory-policy") + 1]);
    }

    [Fact]
    public void Development_override_publishes_external_ports_reloads_and_mounts_the_declared_live_source()
    {
        var services = Publisher.ReadYaml(Path.Combine(bundle.Directory, "docker-compose.dev.yml")).Map("services");
        Assert.Equal(["127.0.0.1:8000:8000/tcp", "127.0.0.1:5000:5000/tcp", "127.0.0.1:5432:5432/tcp", "127.0.0.1:6379:6379/tcp"],
            new[] { "api", "app", "postgres", "redis" }.Select(s => (string)Assert.Single(services.Map(s).List("ports"))));
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
        Assert.Equal(["127.0.0.1:8001:8000/tcp", "127.0.0.1:5001:5000/tcp", "127.0.0.1:5434:5432/tcp", "127.0.0.1:6380:6379/tcp"],
            new[] { "api", "app", "postgres", "redis" }.Select(s => (string)Assert.Single(services.Map(s).List("ports"))));
        var dataMount = (Dictionary<object, object>)Assert.Single(services.Map("postgres").List("volumes"));
        Assert.Equal(("tmpfs", "/var/lib/postgresql/data"), ((string)dataMount["type"], (string)dataMount["target"])); // the model's scratch volume
        Assert.Equal("ichrisbirch_test", services.Map("postgres", "environment")["POSTGRES_DB"]);
        Assert.Equal("testing", services.Map("api", "build")["target"]);

        var runner = services.Map("test-runner");
        Assert.Equal(["-m", "pytest", "tests/live"], runner.List("command"));
        Assert.Equal(["python3"], runner.List("entrypoint"));
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
        Assert.Equal(["API_SECRET_KEY", "APP_ADMIN_PASSWORD", "FLASK_SECRET_KEY", "HTTPS_PORT", "HTTP_PORT", "NGINX_HOST_IP", "NGINX_PROTOCOL", "POSTGRES_APP_PASSWORD", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "TLS_CERTIFICATE", "TLS_CERTIFICATE_KEY"], referenced.Order(StringComparer.Ordinal));
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
