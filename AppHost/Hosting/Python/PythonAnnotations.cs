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
}

/// <summary>The entrypoint of a <see cref="PythonAppResource"/>.</summary>
/// <param name="Kind">Script, module or app served by a server.</param>
/// <param name="Value">The script path, module name or <c>module:app</c>.</param>
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

/// <summary>The virtual environment a <see cref="PythonAppResource"/> runs from.</summary>
public sealed record PythonEnvironmentAnnotation(string VirtualEnvironmentPath) : IResourceAnnotation
{
    /// <summary>The interpreter inside the virtual environment.</summary>
    public string Interpreter => OperatingSystem.IsWindows()
        ? Path.Combine(VirtualEnvironmentPath, "Scripts", "python.exe")
        : Path.Combine(VirtualEnvironmentPath, "bin", "python");
}
