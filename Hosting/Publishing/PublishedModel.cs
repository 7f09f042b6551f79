using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>One environment's model as every publisher sees it: built once and evaluated once per publish.</summary>
/// <param name="EnvironmentName">Production, Development, …</param>
/// <param name="Model">The resources the topology added.</param>
/// <param name="Execution">Publish-mode execution context of that model.</param>
/// <param name="Resources">The resources that publish, in model order, with their values evaluated.</param>
public sealed record PublishedModel(string EnvironmentName, DistributedApplicationModel Model, DistributedApplicationExecutionContext Execution,
    IReadOnlyList<PublishedResource> Resources)
{
    /// <summary>The published resource named <paramref name="name"/>, or null when it does not publish.</summary>
    public PublishedResource? Find(string name) => Resources.FirstOrDefault(r => r.Name == name);

    /// <summary>The published resources that reference <paramref name="name"/> (<c>WithReference</c>): the only ones that connect to it.</summary>
    public IEnumerable<PublishedResource> ClientsOf(string name)
        => Resources.Where(r => r.Resource.Annotations.OfType<ResourceRelationshipAnnotation>().Any(a => a.Type == "Reference" && a.Resource.Name == name));
}
