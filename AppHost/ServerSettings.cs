namespace Ichrisbirch.AppHost;

/// <summary>How a Python web service is served in this environment.</summary>
public sealed record ServerSettings
{
    /// <summary>Fixed host port (null: any free port).</summary>
    public int? Port { get; init; }
    /// <summary>gunicorn instead of uvicorn / flask run.</summary>
    public bool Gunicorn { get; init; }
    /// <summary>gunicorn workers; unset: services/gunicorn.conf.py derives them from the CPUs at start-up.</summary>
    public int? Workers { get; init; }
    /// <summary>Reload on source changes.</summary>
    public bool Reload { get; init; }
    /// <summary>Start under debugpy, listening on the <c>debugpy</c> endpoint (run mode; refused in Production).</summary>
    public bool Debug { get; init; }
    /// <summary>
    /// Run mode: DCP's proxy listens on <see cref="Port"/> and forwards to the server (true), or the server binds
    /// <see cref="Port"/> itself (false: no hop on the data path; when the test builder randomizes ports, a free one).
    /// </summary>
    public bool Proxied { get; init; } = true;
    /// <summary>
    /// Run mode: a line per request on the server's output (false: ACCESS_LOG=off for gunicorn). In run mode every line
    /// crosses DCP and the AppHost to the dashboard, a third of a core at 4,000 req/s; published services always log
    /// (each replica's container log shows its requests).
    /// </summary>
    public bool AccessLog { get; init; } = true;
}
