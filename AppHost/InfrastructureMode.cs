namespace Ichrisbirch.AppHost;

/// <summary>Where PostgreSQL and Redis come from.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, else Local.</summary>
    Auto,
    /// <summary>Local processes from the machine's own binaries.</summary>
    Local,
    /// <summary>Aspire.Hosting.PostgreSQL / Aspire.Hosting.Redis containers.</summary>
    Containers,
}
