using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

public static partial class PythonAppResourceBuilderExtensions
{
    /// <summary>
    /// Decides the command from the current annotations and what the environment holds now: the entrypoint's tool
    /// (<c>bin/pytest</c>, <c>bin/uvicorn</c>) where it exists, else the interpreter (<c>python -m uvicorn</c>).
    /// Called when the model changes and once more at start, so the order of the calls does not matter.
    /// </summary>
    internal static IResourceBuilder<T> WithLaunch<T>(this IResourceBuilder<T> builder) where T : PythonAppResource
    {
        var launch = Launch(builder.Resource);
        return builder.WithAnnotation(launch, ResourceAnnotationMutationBehavior.Replace).WithCommand(launch.Command);
    }

    internal static PythonLaunchAnnotation Launch(PythonAppResource resource)
    {
        var venv = resource.Annotations.OfType<PythonEnvironmentAnnotation>().Last();
        var entrypoint = resource.Annotations.OfType<PythonEntrypointAnnotation>().Last();
        var server = resource.Annotations.OfType<PythonServerAnnotation>().Last();
        if (resource.Annotations.OfType<PythonDebugpyAnnotation>().Any()) return new(venv.Interpreter, UsesTool: false);
        return entrypoint.Kind switch
        {
            PythonEntrypointKind.Executable => new(venv.Executable(entrypoint.Value), UsesTool: true),
            PythonEntrypointKind.Asgi when !server.Gunicorn && File.Exists(venv.Executable("uvicorn")) => new(venv.Executable("uvicorn"), UsesTool: true),
            _ => new(venv.Interpreter, UsesTool: false),
        };
    }

    /// <summary>
    /// The process arguments, built here alone for both modes: for DCP in run mode, for the container (entrypoint
    /// <c>python3</c>) in publish mode. The modes differ only where the process runs: run mode may start a venv tool and
    /// debugpy and listens on 127.0.0.1 at the endpoint's port; the container runs the interpreter and listens on
    /// 0.0.0.0 at the app's container port. The server's options (gunicorn, workers, reload, log level) are the same.
    /// </summary>
    internal static IEnumerable<object> BuildArguments(PythonAppResource resource, DistributedApplicationExecutionContext execution)
    {
        var entrypoint = resource.Annotations.OfType<PythonEntrypointAnnotation>().Last();
        var server = resource.Annotations.OfType<PythonServerAnnotation>().Last();
        var publish = execution.IsPublishMode;
        var usesTool = !publish && (resource.Annotations.OfType<PythonLaunchAnnotation>().LastOrDefault() ?? Launch(resource)).UsesTool;
        List<object> args = !publish && resource.Annotations.OfType<PythonDebugpyAnnotation>().LastOrDefault() is { } debugpy
            ? DebugpyArguments(resource, debugpy)
            : [];
        switch (entrypoint.Kind)
        {
            case PythonEntrypointKind.Script:
                args.Add(entrypoint.Value);
                break;
            case PythonEntrypointKind.Module:
                args.AddRange(["-m", entrypoint.Value]);
                break;
            case PythonEntrypointKind.Executable when publish:
                args.AddRange(["-m", entrypoint.Value]); // the image's interpreter runs the tool's module
                break;
            case PythonEntrypointKind.Executable:
                // A tool is a Python script: under debugpy the interpreter runs it by path.
                if (!usesTool) args.Add(resource.Annotations.OfType<PythonEnvironmentAnnotation>().Last().Executable(entrypoint.Value));
                break;
            default:
                var served = publish
                    ? ServerArguments(entrypoint, server, "0.0.0.0", entrypoint.ContainerPort!.Value, resource.WorkingDirectory)
                    : ServerArguments(entrypoint, server, "127.0.0.1", resource.GetEndpoint("http").Property(EndpointProperty.TargetPort), resource.WorkingDirectory);
                args.AddRange(usesTool ? served.Skip(2) : served); // bin/uvicorn takes what follows "-m uvicorn"
                break;
        }
        return args;
    }

    /// <summary>
    /// The arguments that serve an ASGI/WSGI app on <paramref name="host"/>:<paramref name="port"/>
    /// (a number, or an endpoint property resolved at start): uvicorn, <c>flask run</c> or gunicorn. The working directory
    /// (the app's source, also the image's build context) says whether the app's package is live source to watch.
    /// </summary>
    internal static List<object> ServerArguments(PythonEntrypointAnnotation entrypoint, PythonServerAnnotation server, string host, object port, string workingDirectory)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        var portText = port as EndpointReferenceExpression ?? (object)Convert.ToString(port, invariant)!;
        List<object> args = (entrypoint.Kind, server.Gunicorn) switch
        {
            (PythonEntrypointKind.Asgi, true) => ["-m", "gunicorn", entrypoint.Value, .. Workers(server.Workers), "--worker-class", "uvicorn.workers.UvicornWorker", "--bind", Bind(host, portText)],
            (PythonEntrypointKind.Wsgi, true) => ["-m", "gunicorn", entrypoint.Value, .. Workers(server.Workers), "--bind", Bind(host, portText)],
            (PythonEntrypointKind.Asgi, false) => ["-m", "uvicorn", entrypoint.Value, "--host", host, "--port", portText],
            (PythonEntrypointKind.Wsgi, false) => ["-m", "flask", "--app", entrypoint.Value, "run", "--host", host, "--port", portText, server.Reload ? "--debugger" : "--no-reload"],
            _ => throw new NotSupportedException($"{entrypoint.Kind} is not served by a web server."),
        };
        if (server.LogLevel is { } level && entrypoint.Kind == PythonEntrypointKind.Asgi) args.AddRange(["--log-level", level]);
        if (server.Reload) args.Add("--reload");
        // uvicorn's reloader stats every *.py file under its directories four times a second. The default, the working
        // directory, holds the venv as well (services/: 768 files, 13 % of a core while idle): watch the app's package when
        // it is source in the working directory (not when it is installed in the venv, nor a lone module).
        if (server.Reload && entrypoint.Kind == PythonEntrypointKind.Asgi && SourcePackage(entrypoint.Value, workingDirectory) is { } package)
            args.AddRange(["--reload-dir", package]);
        return args;

        static string? SourcePackage(string app, string workingDirectory) =>
            app.Split(':')[0] is var module && module.IndexOf('.') is > 0 and var dot && Directory.Exists(Path.Combine(workingDirectory, module[..dot]))
                ? module[..dot] : null;

        static List<object> Workers(int? workers) => workers is { } n ? ["--workers", n.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];

        static object Bind(string host, object port) => port is EndpointReferenceExpression endpoint
            ? ReferenceExpression.Create($"{host}:{endpoint}")
            : $"{host}:{port}";
    }

    private static void AddRange(this List<object> list, IEnumerable<object> items)
    {
        foreach (var item in items) list.Add(item);
    }
}
