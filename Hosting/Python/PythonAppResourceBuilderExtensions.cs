using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>
/// Python applications as Aspire resources: the public shape of Aspire.Hosting.Python (<c>AddPythonApp</c>,
/// <c>AddPythonModule</c>, <c>AddPythonExecutable</c>, <c>AddUvicornApp</c>, <c>WithVirtualEnvironment</c>, <c>WithPip</c>),
/// written on core Aspire.Hosting. Run mode starts the interpreter (or a tool) of a virtual environment, creating the
/// environment and installing its requirements first when needed; publish mode turns the resource into a container
/// build of the app directory's Dockerfile (the stage named after the environment, e.g. <c>production</c>).
/// </summary>
public static partial class PythonAppResourceBuilderExtensions
{
    private const string DefaultVirtualEnvironment = ".venv";

    /// <summary>Sets the AppHost-wide defaults: the setup hint in errors, how missing environments are created, install arguments.</summary>
    public static IDistributedApplicationBuilder ConfigurePythonHosting(this IDistributedApplicationBuilder builder, Action<PythonHostingOptions> configure)
    {
        var options = builder.Services.Where(d => d.ServiceType == typeof(PythonHostingOptions)).Select(d => d.ImplementationInstance).OfType<PythonHostingOptions>().FirstOrDefault();
        if (options is null) builder.Services.AddSingleton(options = new PythonHostingOptions());
        configure(options);
        return builder;
    }

    /// <summary>Runs <c>python scriptPath</c> from <paramref name="appDirectory"/>.</summary>
    public static IResourceBuilder<PythonAppResource> AddPythonApp(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, string scriptPath)
        => builder.AddPythonCore(name, appDirectory, new(PythonEntrypointKind.Script, scriptPath, null), (n, c, d) => new PythonAppResource(n, c, d));

    /// <summary>Runs <c>python -m module</c> from <paramref name="appDirectory"/>.</summary>
    public static IResourceBuilder<PythonAppResource> AddPythonModule(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, string module)
        => builder.AddPythonCore(name, appDirectory, new(PythonEntrypointKind.Module, module, null), (n, c, d) => new PythonAppResource(n, c, d));

    /// <summary>Runs the tool <paramref name="executableName"/> of the virtual environment's <c>bin/</c> (e.g. <c>pytest</c>).</summary>
    public static IResourceBuilder<PythonAppResource> AddPythonExecutable(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, string executableName)
        => builder.AddPythonCore(name, appDirectory, new(PythonEntrypointKind.Executable, executableName, null), (n, c, d) => new PythonAppResource(n, c, d));

    /// <summary>
    /// Serves the ASGI app <paramref name="app"/> (<c>module:attribute</c>) with uvicorn on the <c>http</c> endpoint, whose
    /// port is also in <c>PORT</c>. Runs the environment's <c>uvicorn</c> where it has one, else <c>python -m uvicorn</c>
    /// (a <c>--system-site-packages</c> environment has none). Reload only with <see cref="WithReload{T}"/>;
    /// <see cref="WithGunicorn{T}"/> serves it through gunicorn with uvicorn workers instead.
    /// </summary>
    public static IResourceBuilder<UvicornAppResource> AddUvicornApp(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, string app, int containerPort = 8000)
    {
        var uvicorn = builder.AddPythonCore(name, appDirectory, new(PythonEntrypointKind.Asgi, app, containerPort), (n, c, d) => new UvicornAppResource(n, c, d))
            .WithAppEndpoint(containerPort);
        return builder.ExecutionContext.IsRunMode ? uvicorn.WithEnvironment("PORT", uvicorn.Resource.GetEndpoint("http").Property(EndpointProperty.TargetPort)) : uvicorn;
    }

    /// <summary>
    /// Serves the WSGI Flask app <paramref name="app"/> (<c>module:attribute</c>) with <c>flask run</c> on an http
    /// endpoint; <see cref="WithGunicorn{T}"/> serves it through gunicorn instead.
    /// </summary>
    public static IResourceBuilder<PythonAppResource> AddFlaskApp(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, string app, int containerPort = 5000)
        => builder.AddPythonCore(name, appDirectory, new(PythonEntrypointKind.Wsgi, app, containerPort), (n, c, d) => new PythonAppResource(n, c, d))
            .WithAppEndpoint(containerPort);

    /// <summary>
    /// Runs from the virtual environment at <paramref name="virtualEnvironmentPath"/> (absolute, or relative to the app
    /// directory). Without it the nearest <c>.venv</c> walking up from the app directory to the AppHost's parent is used.
    /// A missing environment is created at start by a <c>{name}-venv-creator</c> resource unless
    /// <paramref name="createIfNotExists"/> is false; <paramref name="systemSitePackages"/> and
    /// <paramref name="baseInterpreter"/> override <see cref="PythonHostingOptions"/> for that creation.
    /// </summary>
    public static IResourceBuilder<T> WithVirtualEnvironment<T>(
        this IResourceBuilder<T> builder, string virtualEnvironmentPath, bool createIfNotExists = true,
        bool? systemSitePackages = null, string? baseInterpreter = null)
        where T : PythonAppResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(virtualEnvironmentPath);
        var venv = new PythonEnvironmentAnnotation(Path.GetFullPath(virtualEnvironmentPath, builder.Resource.AppDirectory))
        {
            CreateIfNotExists = createIfNotExists,
            SystemSitePackages = systemSitePackages,
            BaseInterpreter = baseInterpreter,
        };
        builder.WithAnnotation(venv, ResourceAnnotationMutationBehavior.Replace);
        return builder.WithLaunch();
    }

    /// <summary>Serves the app through gunicorn with <paramref name="workers"/> worker processes (null: gunicorn's configuration decides).</summary>
    public static IResourceBuilder<T> WithGunicorn<T>(this IResourceBuilder<T> builder, int? workers = null) where T : PythonAppResource
        => builder.WithServer(s => s with { Gunicorn = true, Workers = workers }).WithLaunch();

    /// <summary>Restarts the server when the source changes (development only; ignored in publish mode).</summary>
    public static IResourceBuilder<T> WithReload<T>(this IResourceBuilder<T> builder, bool reload = true) where T : PythonAppResource
        => builder.WithServer(s => s with { Reload = reload });

    /// <summary>Sets the server's own log level (uvicorn/gunicorn <c>--log-level</c>).</summary>
    public static IResourceBuilder<T> WithServerLogLevel<T>(this IResourceBuilder<T> builder, string logLevel) where T : PythonAppResource
        => builder.WithServer(s => s with { LogLevel = logLevel });

    private static IResourceBuilder<T> AddPythonCore<T>(
        this IDistributedApplicationBuilder builder, string name, string appDirectory, PythonEntrypointAnnotation entrypoint,
        Func<string, string, string, T> create)
        where T : PythonAppResource
    {
        var appPath = Path.GetFullPath(appDirectory, builder.AppHostDirectory);
        var venv = new PythonEnvironmentAnnotation(FindVirtualEnvironment(appPath, builder.AppHostDirectory));
        var resource = create(name, venv.Interpreter, appPath);

        var python = builder.AddResource(resource)
            .WithAnnotation(venv)
            .WithAnnotation(entrypoint)
            .WithAnnotation(new PythonServerAnnotation())
            .WithEnvironment("PYTHONUNBUFFERED", "1")
            .WithArgs(context => context.Args.AddRange(BuildArguments(resource, context.ExecutionContext)));

        if (builder.ExecutionContext.IsRunMode)
        {
            python.WithLaunch()
                .WithEnvironment(context =>
                {
                    context.EnvironmentVariables["VIRTUAL_ENV"] = resource.Annotations.OfType<PythonEnvironmentAnnotation>().Last().VirtualEnvironmentPath;
                    // The exporters OpenTelemetry's Python auto-instrumentation reads (Aspire.Hosting.Python sets the same).
                    context.EnvironmentVariables["OTEL_TRACES_EXPORTER"] = "otlp";
                    context.EnvironmentVariables["OTEL_LOGS_EXPORTER"] = "otlp";
                    context.EnvironmentVariables["OTEL_METRICS_EXPORTER"] = "otlp";
                    context.EnvironmentVariables["OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED"] = "true";
                });
            python.OnBeforeResourceStarted((r, e, ct) => EnsureRunnableAsync(r, e.Services, ct));
            builder.AddEnvironmentHelpers(resource);
        }
        else
        {
            python.PublishAsDockerFile(container => container
                .WithDockerfile(appPath, "Dockerfile", stage: PythonPublishing.Stage(builder))
                .WithEntrypoint("python3") // the name Debian (and every python image) gives it
                .WithArgs(context => context.Args.AddRange(PythonPublishing.Arguments(resource))));
        }

        return python;
    }

    private static IResourceBuilder<T> WithAppEndpoint<T>(this IResourceBuilder<T> builder, int containerPort) where T : PythonAppResource
        => builder.WithHttpEndpoint(targetPort: builder.ApplicationBuilder.ExecutionContext.IsPublishMode ? containerPort : null, name: "http");

    private static IResourceBuilder<T> WithServer<T>(this IResourceBuilder<T> builder, Func<PythonServerAnnotation, PythonServerAnnotation> change)
        where T : PythonAppResource
    {
        var current = builder.Resource.Annotations.OfType<PythonServerAnnotation>().Last();
        return builder.WithAnnotation(change(current), ResourceAnnotationMutationBehavior.Replace);
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
