using static Ichrisbirch.Tests.Support.Models;

namespace Ichrisbirch.Tests.Hosting.Python;

/// <summary>
/// The public shape of our Python hosting on a bare builder: the behaviours Aspire.Hosting.Python's AddPythonAppTests,
/// AddUvicornAppTests and WithPip tests check (written here for ours), and where ours deliberately differs. No process runs.
/// </summary>
public class PythonHostingModelTests
{
    [Fact]
    public async Task Script_module_tool_and_uvicorn_apps_run_from_the_nearest_venv_walking_up()
    {
        using var root = new ScratchDirectory();
        var appHost = Directory.CreateDirectory(Path.Combine(root.Path, "AppHost")).FullName;
        var app = Directory.CreateDirectory(Path.Combine(root.Path, "src", "web")).FullName;
        var venv = Directory.CreateDirectory(Path.Combine(root.Path, ".venv")).FullName;
        var builder = Builder(appHost);

        var script = builder.AddPythonApp("script", "../src/web", "main.py").Resource;
        var module = builder.AddPythonModule("module", "../src/web", "web.worker").Resource;
        var tool = builder.AddPythonExecutable("tool", "../src/web", "pytest").WithArgs("-q").Resource;
        var uvicorn = builder.AddUvicornApp("asgi", "../src/web", "web.main:app").Resource;

        Assert.All(new PythonAppResource[] { script, module, uvicorn }, r =>
        {
            Assert.Equal(app, r.AppDirectory);
            Assert.Equal(Path.Combine(venv, "bin", "python"), r.Command);
        });
        Assert.Equal(Path.Combine(venv, "bin", "pytest"), tool.Command);
        Assert.Equal(["main.py"], await ArgTextAsync(script));
        Assert.Equal(["-m", "web.worker"], await ArgTextAsync(module));
        Assert.Equal(["-q"], await ArgTextAsync(tool));
        // No bin/uvicorn in this venv (as in a --system-site-packages one): the interpreter runs the module.
        Assert.Equal(["-m", "uvicorn", "web.main:app", "--host", "127.0.0.1", "--port", "{http}"], await ArgTextAsync(uvicorn));
    }

    [Fact]
    public async Task AddUvicornApp_is_a_UvicornAppResource_that_runs_the_venv_uvicorn_with_PORT_set()
    {
        using var root = new ScratchDirectory();
        var uvicornTool = Touch(Path.Combine(root.Path, ".venv", "bin", "uvicorn"));
        var builder = Builder(root.Path);

        IResourceBuilder<UvicornAppResource> api = builder.AddUvicornApp("api", ".", "main:app");

        Assert.Equal(uvicornTool, api.Resource.Command);
        Assert.Equal(["main:app", "--host", "127.0.0.1", "--port", "{http}"], await ArgTextAsync(api.Resource));
        var port = Assert.IsType<EndpointReferenceExpression>((await EnvironmentAsync(api.Resource))["PORT"]);
        Assert.Equal(("http", EndpointProperty.TargetPort), (port.Endpoint.EndpointName, port.Property));
    }

    [Fact]
    public async Task Reload_follows_WithReload_and_never_the_run_mode()
    {
        using var root = new ScratchDirectory();
        var builder = Builder(root.Path);
        var plain = builder.AddUvicornApp("plain", ".", "main:app").Resource;
        var reloading = builder.AddUvicornApp("reloading", ".", "main:app").WithReload().Resource;

        Assert.DoesNotContain("--reload", await ArgTextAsync(plain));
        Assert.Equal("--reload", (await ArgTextAsync(reloading)).Last());
    }

    [Fact]
    public async Task A_reloading_uvicorn_watches_the_apps_package_not_the_whole_working_directory()
    {
        using var root = new ScratchDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, "shop", "web"));
        var builder = Builder(root.Path);
        var packaged = builder.AddUvicornApp("packaged", ".", "shop.web.main:app").WithReload().Resource;
        var module = builder.AddUvicornApp("module", ".", "main:app").WithReload().Resource;
        var installed = builder.AddUvicornApp("installed", ".", "tinypkg.app:app").WithReload().Resource; // in the venv, not here

        Assert.Equal(["--reload", "--reload-dir", "shop"], (await ArgTextAsync(packaged)).TakeLast(3));
        Assert.Equal(["--reload", "--reload-dir", "shop"], (await ArgTextAsync(packaged, DistributedApplicationOperation.Publish)).TakeLast(3));
        // Otherwise uvicorn's default, the working directory.
        Assert.Equal("--reload", (await ArgTextAsync(module)).Last());
        Assert.Equal("--reload", (await ArgTextAsync(installed)).Last());
    }

    [Fact]
    public async Task Gunicorn_serves_asgi_with_uvicorn_workers_through_the_interpreter()
    {
        using var root = new ScratchDirectory();
        Touch(Path.Combine(root.Path, ".venv", "bin", "uvicorn"));
        var builder = Builder(root.Path);
        var app = builder.AddUvicornApp("api", ".", "main:app").WithGunicorn(workers: 3).WithReload().Resource;

        Assert.Equal(Path.Combine(root.Path, ".venv", "bin", "python"), app.Command);
        Assert.Equal(["-m", "gunicorn", "main:app", "--workers", "3", "--worker-class", "uvicorn.workers.UvicornWorker", "--bind", "{expr}", "--reload"],
            await ArgTextAsync(app));
    }

    [Fact]
    public void WithVirtualEnvironment_takes_an_absolute_path_or_one_relative_to_the_app_directory()
    {
        using var root = new ScratchDirectory();
        var builder = Builder(root.Path);
        var relative = builder.AddPythonModule("relative", ".", "worker").WithVirtualEnvironment("envs/py311").Resource;
        var absolute = builder.AddPythonModule("absolute", ".", "worker").WithVirtualEnvironment("/opt/venv").Resource;

        Assert.Equal(Path.Combine(root.Path, "envs", "py311", "bin", "python"), relative.Command);
        Assert.Equal("/opt/venv/bin/python", absolute.Command);
        Assert.Throws<ArgumentException>(() => builder.AddPythonModule("empty", ".", "worker").WithVirtualEnvironment(""));
    }

    [Fact]
    public async Task Python_resources_get_the_OpenTelemetry_exporter_variables_in_run_mode()
    {
        using var root = new ScratchDirectory();
        var builder = Builder(root.Path);
        var env = await EnvironmentAsync(builder.AddPythonApp("script", ".", "main.py").Resource);

        foreach (var key in new[] { "OTEL_TRACES_EXPORTER", "OTEL_LOGS_EXPORTER", "OTEL_METRICS_EXPORTER" }) Assert.Equal("otlp", env[key]);
        Assert.Equal("true", env["OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED"]);
        Assert.Equal("1", env["PYTHONUNBUFFERED"]);
        Assert.Equal(Path.Combine(root.Path, ".venv"), env["VIRTUAL_ENV"]);
    }

    [Theory]
    [InlineData("Production", false, "api: debugging (debugpy) is refused in the Production environment")]
    [InlineData("Development", true, "api: debugpy cannot debug gunicorn's forked workers: serve api without gunicorn")]
    public async Task WithDebugpy_is_refused_in_Production_and_with_gunicorn_before_anything_starts(string environment, bool gunicorn, string expected)
    {
        using var root = new ScratchDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, ".venv"));
        var builder = Builder(root.Path, environment);
        var api = builder.AddUvicornApp("api", ".", "main:app").WithDebugpy();
        if (gunicorn) api.WithGunicorn(); // after WithDebugpy: checked at start, whatever the order

        var ex = await Assert.ThrowsAsync<PythonEnvironmentException>(() => AtStartAsync(builder));
        Assert.StartsWith(expected, ex.Message);
    }

    [Fact]
    public async Task WithDebugpy_runs_the_app_under_debugpy_on_a_loopback_endpoint_the_dashboard_lists()
    {
        using var root = new ScratchDirectory();
        Touch(Path.Combine(root.Path, ".venv", "bin", "uvicorn"));
        var builder = Builder(root.Path);
        var api = builder.AddUvicornApp("api", ".", "main:app").WithReload().WithDebugpy().Resource;

        var endpoint = Assert.Single(api.Annotations.OfType<EndpointAnnotation>(), e => e.Name == "debugpy");
        Assert.Equal("tcp", endpoint.UriScheme);
        Assert.False(endpoint.IsProxied);
        Assert.Equal(Path.Combine(root.Path, ".venv", "bin", "python"), api.Command);
        Assert.Equal(["-Xfrozen_modules=off", "-m", "debugpy", "--listen", "{expr}", "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", "{http}", "--reload"],
            await ArgTextAsync(api));
    }
}
