using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>An endpoint of a published resource, with the port its container listens on.</summary>
/// <param name="Name">The endpoint name (<c>http</c>, <c>tcp</c>, …).</param>
/// <param name="TargetPort">The port inside the container.</param>
/// <param name="Annotation">The model's endpoint (host port, protocol, external, scheme).</param>
public sealed record PublishedEndpoint(string Name, int TargetPort, EndpointAnnotation Annotation)
{
    /// <summary>The port the resource's endpoint listens on inside its container; one line naming the fix when it has none.</summary>
    public static int TargetPortOf(IResource resource, string endpointName)
    {
        var endpoint = resource.Annotations.OfType<EndpointAnnotation>().SingleOrDefault(e => e.Name == endpointName)
            ?? throw new PublishException($"{resource.Name}: no endpoint named '{endpointName}'; reference one it declares.");
        return endpoint.TargetPort ?? throw new PublishException(
            $"{resource.Name}: endpoint '{endpointName}' has no target port, so no publisher can know where the container listens; give it targetPort: in WithEndpoint/WithHttpEndpoint.");
    }
}
