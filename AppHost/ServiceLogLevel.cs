namespace Ichrisbirch.AppHost;

/// <summary>The services' LOG_LEVEL.</summary>
public enum ServiceLogLevel
{
    /// <summary>debug</summary>
    Debug,
    /// <summary>info</summary>
    Info,
    /// <summary>warning</summary>
    Warning,
    /// <summary>error</summary>
    Error,
    /// <summary>critical</summary>
    Critical,
}
