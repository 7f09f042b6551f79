using static Ichrisbirch.Tests.Support.Models;

namespace Ichrisbirch.Tests.Hosting.Python;

/// <summary>
/// One builder makes a Python resource's arguments in both modes: the published container's arguments are the run
/// arguments with only the listening address changed (0.0.0.0 and the container port for 127.0.0.1 and the endpoint's
/// port); the server's options, reload included, are the same. No process runs.
/// </summary>
public class PythonArgumentsModelTests
{
    public static TheoryData<string> Shapes => ["script", "module", "tool", "uvicorn", "uvicorn-reload-log", "gunicorn-asgi", "flask", "flask-reload", "gunicorn-wsgi"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Published_arguments_are_the_run_arguments_listening_on_the_container_port(string shape)
    {
        using var root = new ScratchDirectory();
        Touch(Path.Combine(root.Path, "Dockerfile"));
        Directory.CreateDirectory(Path.Combine(root.Path, ".venv"));

        var run = await ArgTextAsync(Add(Builder(root.Path), shape).Resource);
        var publishBuilder = Builder(root.Path, "Development", "--operation", "publish");
        Add(publishBuilder, shape);
        var container = Assert.Single(publishBuilder.Resources.OfType<ContainerResource>());
        var published = await ArgTextAsync(container, DistributedApplicationOperation.Publish);

        Assert.Equal("python3", container.Entrypoint);
        // The only expression among these run arguments is gunicorn's --bind 127.0.0.1:{http}.
        var expected = run.Select(a => a switch { "127.0.0.1" => "0.0.0.0", "{http}" => "8000", "{expr}" => "0.0.0.0:8000", _ => a });
        // A venv tool is the command in run mode; the image's interpreter runs it as a module.
        Assert.Equal(shape == "tool" ? ["-m", "pytest", .. run] : expected, published);
        Assert.Equal(shape.Contains("reload"), published.Contains("--reload"));
    }

    private static IResourceBuilder<PythonAppResource> Add(IDistributedApplicationBuilder builder, string shape) => shape switch
    {
        "script" => builder.AddPythonApp("svc", ".", "main.py"),
        "module" => builder.AddPythonModule("svc", ".", "web.worker"),
        "tool" => builder.AddPythonExecutable("svc", ".", "pytest").WithArgs("-q"),
        "uvicorn" => builder.AddUvicornApp("svc", ".", "main:app"),
        "uvicorn-reload-log" => builder.AddUvicornApp("svc", ".", "main:app").WithReload().WithServerLogLevel("warning"),
        "gunicorn-asgi" => builder.AddUvicornApp("svc", ".", "main:app").WithGunicorn(workers: 2),
        "flask" => builder.AddFlaskApp("svc", ".", "web:app", containerPort: 8000),
        "flask-reload" => builder.AddFlaskApp("svc", ".", "web:app", containerPort: 8000).WithReload(),
        "gunicorn-wsgi" => builder.AddFlaskApp("svc", ".", "web:app", containerPort: 8000).WithGunicorn(),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };
}
