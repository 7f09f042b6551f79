using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>
/// A resource that publishes (a container or a Dockerfile build), with what every publisher reads evaluated once:
/// image, entrypoint, arguments, environment and endpoints. Deployment annotations (restart, limits, health,
/// mounts, waits) are read from <see cref="Resource"/> by each publisher, which alone knows what it can express.
/// </summary>
/// <param name="Resource">The publish-mode resource.</param>
/// <param name="Image">The image it runs or the build that makes it; null when it has neither.</param>
/// <param name="Entrypoint">The container's entrypoint, when it sets one.</param>
/// <param name="Arguments">Its arguments, null when it has none.</param>
/// <param name="Environment">Its environment variables, by name (ordinal order).</param>
/// <param name="Endpoints">Its endpoints, in declaration order.</param>
public sealed record PublishedResource(IResource Resource, PublishedImage? Image, string? Entrypoint, IReadOnlyList<PublishedValue>? Arguments,
    IReadOnlyDictionary<string, PublishedValue> Environment, IReadOnlyList<PublishedEndpoint> Endpoints)
{
    /// <summary>The resource name (the service name in every publisher).</summary>
    public string Name => Resource.Name;

    /// <summary>The port the endpoint named <paramref name="endpointName"/> listens on inside the container.</summary>
    public int TargetPort(string endpointName) => PublishedEndpoint.TargetPortOf(Resource, endpointName);
}

/// <summary>What a published resource runs: a prebuilt image, or an image built from a Dockerfile.</summary>
/// <param name="Reference">The full image reference (<c>registry/name:tag</c> or <c>name@sha256:…</c>); null for a build.</param>
/// <param name="Name">The image name without registry and tag (<c>library/postgres</c>); null for a build.</param>
/// <param name="Build">The Dockerfile build; null for a prebuilt image.</param>
public sealed record PublishedImage(string? Reference, string? Name, PublishedBuild? Build);

/// <summary>A Dockerfile build.</summary>
/// <param name="ContextPath">The build context folder on the publishing machine.</param>
/// <param name="DockerfilePath">The Dockerfile on the publishing machine.</param>
/// <param name="Stage">The multi-stage target, if any.</param>
public sealed record PublishedBuild(string ContextPath, string DockerfilePath, string? Stage);
