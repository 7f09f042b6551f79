using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// Python applications as Aspire resources: the public shape of Aspire.Hosting.Python
/// (<c>AddPythonApp</c>, <c>AddPythonModule</c>, <c>AddUvicornApp</c>, <c>WithVirtualEnvironment</c>, <c>WithPip</c>),
/// written on core Aspire.Hosting. Run mode starts the interpreter of a virtual environment; publish mode turns
/// the resource into a container build of the app directory's Dockerfile (<c>production</c> target).
/// </summary>
public static class PythonAppResourceBuilderExtensions
{
    private const string DefaultVirtualEnvironment = ".venv";

    /// <summary>Runs <c>python scriptPath</c> from <paramref name="appDirectory"/>.</summary>
    public static IResourceBuilder<PythonAppResource> AddPythonApp(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, string scriptPath)
        => builder.AddPythonCore(name, appDirectory, new(PythonEntrypointKind.Script, scriptPath, null));

    /// <summary>Runs <c>python -m module</c> from <paramref name="appDirectory"/>.</summary>
    public static IResourceBuilder<PythonAppResource> AddPythonModule(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, string module)
        => builder.AddPythonCore(name, appDirectory, new(PythonEntrypointKind.Module, module, null));

    /// <summary>
    /// Serves the ASGI app <paramref name="app"/> (<c>module:attribute</c>) with uvicorn on an http endpoint;
    /// <see cref="WithGunicorn"/> serves it through gunicorn with uvicorn workers instead.
    /// </summary>
    public static IResourceBuilder<PythonAppResource> AddUvicornApp(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, string app, int containerPort = 8000)
        => builder.AddPythonCore(name, appDirectory, new(PythonEntrypointKind.Asgi, app, containerPort)).WithAppEndpoint(containerPort);

    /// <summary>
    /// Serves the WSGI Flask app <paramref name="app"/> (<c>module:attribute</c>) with <c>flask run</c> on an http
    /// endpoint; <see cref="WithGunicorn"/> serves it through gunicorn instead.
    /// </summary>
    public static IResourceBuilder<PythonAppResource> AddFlaskApp(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, string app, int containerPort = 5000)
        => builder.AddPythonCore(name, appDirectory, new(PythonEntrypointKind.Wsgi, app, containerPort)).WithAppEndpoint(containerPort);

    /// <summary>
    /// Runs from the virtual environment at <paramref name="virtualEnvironmentPath"/> (relative to the app directory).
    /// Without it the nearest <c>.venv</c> walking up from the app directory is used.
    /// </summary>
    public static IResourceBuilder<PythonAppResource> WithVirtualEnvironment(
        this IResourceBuilder<PythonAppResource> builder, string virtualEnvironmentPath)
    {
        var venv = Path.GetFullPath(virtualEnvironmentPath, builder.Resource.AppDirectory);
        var annotation = new PythonEnvironmentAnnotation(venv);
        builder.WithAnnotation(annotation, ResourceAnnotationMutationBehavior.Replace);
        return builder.WithCommand(annotation.Interpreter);
    }

    /// <summary>Serves the app through gunicorn with <paramref name="workers"/> worker processes (null: gunicorn's configuration decides).</summary>
    public static IResourceBuilder<PythonAppResource> WithGunicorn(this IResourceBuilder<PythonAppResource> builder, int? workers = null)
        => builder.WithServer(s => s with { Gunicorn = true, Workers = workers });

    /// <summary>Restarts the server when the source changes (development only; ignored in publish mode).</summary>
    public static IResourceBuilder<PythonAppResource> WithReload(this IResourceBuilder<PythonAppResource> builder, bool reload = true)
        => builder.WithServer(s => s with { Reload = reload });

    /// <summary>Sets the server's own log level (uvicorn/gunicorn <c>--log-level</c>).</summary>
    public static IResourceBuilder<PythonAppResource> WithServerLogLevel(this IResourceBuilder<PythonAppResource> builder, string logLevel)
        => builder.WithServer(s => s with { LogLevel = logLevel });

    /// <summary>
    /// Installs <c>requirements.txt</c> of the app directory into the virtual environment before the app starts,
    /// through an <c>{name}-installer</c> child resource that the app waits for (run mode only).
    /// Resources sharing a virtual environment share one installer.
    /// </summary>
    public static IResourceBuilder<PythonAppResource> WithPip(this IResourceBuilder<PythonAppResource> builder)
    {
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return builder;
        }

        var venv = builder.Resource.Annotations.OfType<PythonEnvironmentAnnotation>().Last();
        var installer = builder.ApplicationBuilder.Resources.OfType<PythonInstallerResource>()
            .FirstOrDefault(i => i.VirtualEnvironmentPath == venv.VirtualEnvironmentPath);
        var installerBuilder = installer is null
            ? builder.ApplicationBuilder.AddResource(new PythonInstallerResource($"{builder.Resource.Name}-installer", venv, builder.Resource.AppDirectory))
                .WithArgs("-m", "pip", "install", "--disable-pip-version-check", "-r", "requirements.txt")
                .WithParentRelationship(builder.Resource)
            : builder.ApplicationBuilder.CreateResourceBuilder(installer);
        return builder.WaitForCompletion(installerBuilder);
    }

    private static IResourceBuilder<PythonAppResource> AddPythonCore(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, PythonEntrypointAnnotation entrypoint)
    {
        var appPath = Path.GetFullPath(appDirectory, builder.AppHostDirectory);
        var venv = new PythonEnvironmentAnnotation(FindVirtualEnvironment(appPath, builder.AppHostDirectory));
        var resource = new PythonAppResource(name, venv.Interpreter, appPath);

        var python = builder.AddResource(resource)
            .WithAnnotation(venv)
            .WithAnnotation(entrypoint)
            .WithAnnotation(new PythonServerAnnotation())
            .WithEnvironment("PYTHONUNBUFFERED", "1")
            .WithArgs(context => context.Args.AddRange(BuildArguments(resource, context.ExecutionContext)));

        if (builder.ExecutionContext.IsRunMode)
        {
            python.WithEnvironment(context =>
                context.EnvironmentVariables["VIRTUAL_ENV"] = resource.Annotations.OfType<PythonEnvironmentAnnotation>().Last().VirtualEnvironmentPath);
            python.OnBeforeResourceStarted((r, e, ct) => EnsureRunnableAsync(r, e.Services, ct));
        }
        else
        {
            python.PublishAsDockerFile(container => container
                .WithDockerfile(appPath, "Dockerfile", stage: "production")
                .WithEntrypoint("python")
                .WithArgs(context => context.Args.AddRange(BuildArguments(resource, context.ExecutionContext))));
        }

        return python;
    }

    private static IResourceBuilder<PythonAppResource> WithAppEndpoint(this IResourceBuilder<PythonAppResource> builder, int containerPort)
        => builder.WithHttpEndpoint(targetPort: builder.ApplicationBuilder.ExecutionContext.IsPublishMode ? containerPort : null, name: "http");

    private static IResourceBuilder<PythonAppResource> WithServer(
        this IResourceBuilder<PythonAppResource> builder, Func<PythonServerAnnotation, PythonServerAnnotation> change)
    {
        var current = builder.Resource.Annotations.OfType<PythonServerAnnotation>().Last();
        return builder.WithAnnotation(change(current), ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>The interpreter arguments, for DCP in run mode and for the container in publish mode.</summary>
    internal static IEnumerable<object> BuildArguments(PythonAppResource resource, DistributedApplicationExecutionContext execution)
    {
        var entrypoint = resource.Annotations.OfType<PythonEntrypointAnnotation>().Last();
        var server = resource.Annotations.OfType<PythonServerAnnotation>().Last();
        return entrypoint.Kind switch
        {
            PythonEntrypointKind.Script => [entrypoint.Value],
            PythonEntrypointKind.Module => ["-m", entrypoint.Value],
            _ when execution.IsPublishMode => ServerArguments(entrypoint, server with { Reload = false }, "0.0.0.0", entrypoint.ContainerPort!.Value),
            _ => ServerArguments(entrypoint, server, "127.0.0.1", resource.GetEndpoint("http").Property(EndpointProperty.TargetPort)),
        };
    }

    /// <summary>
    /// The arguments that serve an ASGI/WSGI app on <paramref name="host"/>:<paramref name="port"/>
    /// (a number, or an endpoint property resolved at start): uvicorn, <c>flask run</c> or gunicorn.
    /// </summary>
    internal static List<object> ServerArguments(PythonEntrypointAnnotation entrypoint, PythonServerAnnotation server, string host, object port)
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
        return args;

        static List<object> Workers(int? workers) => workers is { } n ? ["--workers", n.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];

        static object Bind(string host, object port) => port is EndpointReferenceExpression endpoint
            ? ReferenceExpression.Create($"{host}:{endpoint}")
            : $"{host}:{port}";
    }

    /// <summary>
    /// Checks, before DCP starts the process, that the interpreter exists and the modules the entrypoint needs are
    /// importable; otherwise fails the resource with one line that names the fix.
    /// </summary>
    private static async Task EnsureRunnableAsync(PythonAppResource resource, IServiceProvider services, CancellationToken cancellationToken)
    {
        var venv = resource.Annotations.OfType<PythonEnvironmentAnnotation>().Last();
        if (!File.Exists(venv.Interpreter))
        {
            throw new PythonEnvironmentException(
                $"{resource.Name}: no Python virtual environment at {venv.VirtualEnvironmentPath} ({venv.Interpreter} is missing). " +
                "Run scripts/bootstrap.sh to create it, or point WithVirtualEnvironment(...) at an existing one.");
        }

        var modules = RequiredModules(resource).ToArray();
        var probe = new ProcessStartInfo(venv.Interpreter)
        {
            WorkingDirectory = resource.AppDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        probe.ArgumentList.Add("-c");
        probe.ArgumentList.Add("import importlib.util as u, sys; print(' '.join(m for m in sys.argv[1:] if u.find_spec(m) is None))");
        foreach (var module in modules) probe.ArgumentList.Add(module);

        using var process = Process.Start(probe)!;
        var missing = (await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).Trim();
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0 || missing.Length > 0)
        {
            var what = missing.Length > 0 ? $"Python module(s) {missing} not importable" : "the interpreter failed to run";
            throw new PythonEnvironmentException(
                $"{resource.Name}: {what} in {venv.VirtualEnvironmentPath}. " +
                $"Run scripts/bootstrap.sh (or {venv.Interpreter} -m pip install -r requirements.txt in {resource.AppDirectory}).");
        }

        services.GetRequiredService<ResourceLoggerService>().GetLogger(resource)
            .LogInformation("Python environment {Venv} has {Modules}", venv.VirtualEnvironmentPath, string.Join(", ", modules));
    }

    private static IEnumerable<string> RequiredModules(PythonAppResource resource)
    {
        var entrypoint = resource.Annotations.OfType<PythonEntrypointAnnotation>().Last();
        var server = resource.Annotations.OfType<PythonServerAnnotation>().Last();
        switch (entrypoint.Kind)
        {
            case PythonEntrypointKind.Module:
                yield return entrypoint.Value;
                yield break;
            case PythonEntrypointKind.Script:
                yield break;
        }
        yield return entrypoint.Value.Split(':')[0];
        if (server.Gunicorn) yield return "gunicorn";
        yield return entrypoint.Kind == PythonEntrypointKind.Asgi ? "uvicorn" : "flask";
    }

    /// <summary>The nearest <c>.venv</c> from the app directory up to the AppHost's parent; else <c>{app}/.venv</c>.</summary>
    private static string FindVirtualEnvironment(string appDirectory, string appHostDirectory)
    {
        var stop = Path.GetDirectoryName(Path.GetFullPath(appHostDirectory).TrimEnd(Path.DirectorySeparatorChar));
        for (var dir = new DirectoryInfo(appDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, DefaultVirtualEnvironment);
            if (Directory.Exists(candidate)) return candidate;
            if (string.Equals(dir.FullName.TrimEnd(Path.DirectorySeparatorChar), stop, StringComparison.Ordinal)) break;
        }
        return Path.Combine(appDirectory, DefaultVirtualEnvironment);
    }

    private static void AddRange(this IList<object> list, IEnumerable<object> items)
    {
        foreach (var item in items) list.Add(item);
    }
}

/// <summary>The virtual environment of a Python resource cannot run it; the message names the fix.</summary>
public sealed class PythonEnvironmentException(string message) : Exception(message)
{
    /// <summary>None: the message is the whole story, and a user should not read a stack trace to find the fix.</summary>
    public override string? StackTrace => null;
}

/// <summary>Installs a Python app's requirements into its virtual environment (see <see cref="PythonAppResourceBuilderExtensions.WithPip"/>).</summary>
public sealed class PythonInstallerResource(string name, PythonEnvironmentAnnotation venv, string appDirectory)
    : ExecutableResource(name, venv.Interpreter, appDirectory)
{
    /// <summary>The virtual environment it installs into.</summary>
    public string VirtualEnvironmentPath { get; } = venv.VirtualEnvironmentPath;
}
