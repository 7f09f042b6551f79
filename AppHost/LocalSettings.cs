namespace Ichrisbirch.AppHost;

/// <summary>Local-mode locations.</summary>
public sealed record LocalSettings
{
    /// <summary>Root of the data folders (default: per user, keyed by environment).</summary>
    public string? DataDirectory { get; init; }
    /// <summary>Folder holding initdb and postgres.</summary>
    public string? PostgresBinDirectory { get; init; }
    /// <summary>The redis-server executable.</summary>
    public string? RedisServerPath { get; init; }
}
