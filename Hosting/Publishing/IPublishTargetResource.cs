using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>
/// A resource that stands for one output of <c>aspire publish</c> (a compose bundle, kustomize manifests, …): its
/// publisher translates the models that <see cref="Topology"/> builds for each environment it publishes.
/// </summary>
public interface IPublishTargetResource : IResource
{
    /// <summary>Adds the application's resources to a builder (the AppHost's own topology).</summary>
    Action<IDistributedApplicationBuilder> Topology { get; }

    /// <summary>The AppHost folder: where the published models read their checked-in configuration files.</summary>
    string AppHostDirectory { get; }
}
