using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Tests.EndToEnd;

namespace Ichrisbirch.Tests;

/// <summary>The public shape of our Python hosting, the same as Aspire.Hosting.Python's, on a bare builder.</summary>
public class PythonHostingTests
{
    private static IDistributedApplicationBuilder Builder(string appHostDirectory)
        => DistributedApplication.CreateBuilder(new DistributedApplicationOptions { ProjectDirectory = appHostDirectory, Args = [], DisableDashboard = true });

    private static async Task<object[]> ArgsAsync(IResource resource)
    {
        var args = new List<object>();
        var context = new CommandLineArgsCallbackContext(args, resource, CancellationToken.None);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>()) await callback.Callback(context);
        return [.. args];
    }

    [Fact]
    public async Task Script_module_and_uvicorn_apps_run_from_the_nearest_venv_walking_up()
    {
        using var root = new ScratchDirectory();
        var appHost = Directory.CreateDirectory(Path.Combine(root.Path, "AppHost")).FullName;
        var app = Directory.CreateDirectory(Path.Combine(root.Path, "src", "web")).FullName;
        Directory.CreateDirectory(Path.Combine(root.Path, ".venv"));
        var builder = Builder(appHost);

        var script = builder.AddPythonApp("script", "../src/web", "main.py").Resource;
        var module = builder.AddPythonModule("module", "../src/web", "web.worker").Resource;
        var uvicorn = builder.AddUvicornApp("asgi", "../src/web", "web.main:app").Resource;

        Assert.All(new[] { script, module, uvicorn }, r =>
        {
            Assert.Equal(app, r.AppDirectory);
            Assert.Equal(Path.Combine(root.Path, ".venv", "bin", "python"), r.Command);
        });
        Assert.Equal(["main.py"], await ArgsAsync(script));
        Assert.Equal(["-m", "web.worker"], await ArgsAsync(module));
        var asgi = await ArgsAsync(uvicorn);
        Assert.Equal(["-m", "uvicorn", "web.main:app", "--host", "127.0.0.1", "--port"], asgi[..6]);
        Assert.Equal("http", Assert.IsType<EndpointReferenceExpression>(asgi[6]).Endpoint.EndpointName);
        Assert.Single(uvicorn.Annotations.OfType<EndpointAnnotation>(), e => e.Name == "http");
    }

    [Fact]
    public void WithVirtualEnvironment_points_the_interpreter_at_the_given_venv()
    {
        using var root = new ScratchDirectory();
        var builder = Builder(root.Path);
        var app = builder.AddPythonModule("worker", ".", "worker").WithVirtualEnvironment("envs/py311").Resource;
        Assert.Equal(Path.Combine(root.Path, "envs", "py311", "bin", "python"), app.Command);
    }

    [Fact]
    public void WithPip_adds_one_installer_per_venv_that_the_apps_wait_to_complete()
    {
        using var root = new ScratchDirectory();
        var builder = Builder(root.Path);
        var api = builder.AddUvicornApp("api", ".", "main:app").WithPip().Resource;
        var worker = builder.AddPythonModule("worker", ".", "worker").WithPip().Resource;

        var installer = Assert.Single(builder.Resources.OfType<PythonInstallerResource>());
        Assert.Equal("api-installer", installer.Name);
        foreach (var app in new[] { api, worker })
        {
            var wait = Assert.Single(app.Annotations.OfType<WaitAnnotation>());
            Assert.Same(installer, wait.Resource);
            Assert.Equal(WaitType.WaitForCompletion, wait.WaitType);
        }
    }

    [Fact]
    public async Task Gunicorn_serves_asgi_with_uvicorn_workers_and_reload_is_opt_in()
    {
        using var root = new ScratchDirectory();
        var builder = Builder(root.Path);
        var app = builder.AddUvicornApp("api", ".", "main:app").WithGunicorn(workers: 3).WithReload().Resource;
        var args = (await ArgsAsync(app)).Select(a => a as string ?? "{bind}").ToArray();
        Assert.Equal(["-m", "gunicorn", "main:app", "--workers", "3", "--worker-class", "uvicorn.workers.UvicornWorker", "--bind", "{bind}", "--reload"], args);
    }
}
