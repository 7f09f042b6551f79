namespace Aspire.Hosting.ApplicationModel;

/// <summary>What a Python resource runs.</summary>
public enum PythonEntrypointKind
{
    /// <summary><c>python path/to/script.py</c></summary>
    Script,
    /// <summary><c>python -m module</c></summary>
    Module,
    /// <summary>An ASGI app (<c>module:attribute</c>) served by uvicorn, or gunicorn with uvicorn workers.</summary>
    Asgi,
    /// <summary>A WSGI app (<c>module:attribute</c>) served by Flask's server, or gunicorn.</summary>
    Wsgi,
    /// <summary>A tool from the virtual environment's <c>bin/</c> (<c>pytest</c>, <c>alembic</c>, …).</summary>
    Executable,
}

/// <summary>The entrypoint of a <see cref="PythonAppResource"/>.</summary>
/// <param name="Kind">Script, module, tool or app served by a server.</param>
/// <param name="Value">The script path, module name, tool name or <c>module:app</c>.</param>
/// <param name="ContainerPort">The port the app listens on inside its container (publish mode).</param>
public sealed record PythonEntrypointAnnotation(PythonEntrypointKind Kind, string Value, int? ContainerPort) : IResourceAnnotation;

/// <summary>How an ASGI/WSGI app is served.</summary>
public sealed record PythonServerAnnotation : IResourceAnnotation
{
    /// <summary>Serve through gunicorn (production) instead of uvicorn / flask run.</summary>
    public bool Gunicorn { get; init; }

    /// <summary>gunicorn worker processes; null: not passed, gunicorn's configuration decides.</summary>
    public int? Workers { get; init; }

    /// <summary>Restart on source changes (development).</summary>
    public bool Reload { get; init; }

    /// <summary>The server's own log level (uvicorn <c>--log-level</c>).</summary>
    public string? LogLevel { get; init; }
}

/// <summary>The virtual environment a <see cref="PythonAppResource"/> runs from, and how to create it when missing.</summary>
/// <param name="VirtualEnvironmentPath">Absolute path of the virtual environment.</param>
public sealed record PythonEnvironmentAnnotation(string VirtualEnvironmentPath) : IResourceAnnotation
{
    /// <summary>Create the virtual environment (a <c>{name}-venv-creator</c> resource) when it does not exist.</summary>
    public bool CreateIfNotExists { get; init; } = true;

    /// <summary><c>--system-site-packages</c> on creation (null: <see cref="PythonHostingOptions.SystemSitePackages"/>).</summary>
    public bool? SystemSitePackages { get; init; }

    /// <summary>The interpreter that creates the environment (null: <see cref="PythonHostingOptions.BaseInterpreter"/>).</summary>
    public string? BaseInterpreter { get; init; }

    /// <summary>The interpreter inside the virtual environment.</summary>
    public string Interpreter => Executable("python");

    /// <summary>A tool of the virtual environment (<c>bin/NAME</c>, <c>Scripts\NAME.exe</c> on Windows).</summary>
    public string Executable(string name) => OperatingSystem.IsWindows()
        ? Path.Combine(VirtualEnvironmentPath, "Scripts", name + ".exe")
        : Path.Combine(VirtualEnvironmentPath, "bin", name);
}

/// <summary>Which requirements are installed into the virtual environment before the app starts (see <c>WithPip</c>).</summary>
/// <param name="Install">False: no installer (the packages are managed elsewhere).</param>
/// <param name="InstallArgs">Extra <c>pip install</c> arguments, after the defaults.</param>
/// <param name="Explicit">Set by a <c>WithPip</c> call rather than by the automatic detection.</param>
public sealed record PythonPipAnnotation(bool Install, IReadOnlyList<string> InstallArgs, bool Explicit) : IResourceAnnotation;

/// <summary>The service starts under debugpy, listening on the <c>debugpy</c> endpoint (see <c>WithDebugpy</c>).</summary>
/// <param name="WaitForClient">Start the program only once a debugger has attached.</param>
public sealed record PythonDebugpyAnnotation(bool WaitForClient) : IResourceAnnotation;

/// <summary>How the resource is launched, decided once per start (a venv tool such as <c>bin/uvicorn</c>, or the interpreter).</summary>
/// <param name="Command">The executable DCP starts.</param>
/// <param name="UsesTool">True when <paramref name="Command"/> is the entrypoint's tool rather than the interpreter.</param>
internal sealed record PythonLaunchAnnotation(string Command, bool UsesTool) : IResourceAnnotation;
