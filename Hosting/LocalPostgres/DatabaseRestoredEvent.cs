using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;

namespace Aspire.Hosting;

/// <summary>A database of <see cref="Resource"/> was replaced by a restore: caches of its data are out of date.</summary>
public sealed class DatabaseRestoredEvent(IResource resource, string database, IServiceProvider services) : IDistributedApplicationResourceEvent
{
    /// <summary>The server resource.</summary>
    public IResource Resource { get; } = resource;

    /// <summary>The restored database.</summary>
    public string Database { get; } = database;

    /// <summary>The application's services.</summary>
    public IServiceProvider Services { get; } = services;
}
