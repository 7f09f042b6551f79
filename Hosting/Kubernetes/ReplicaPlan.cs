using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>How many pods of a long-running service run.</summary>
/// <param name="Replicated">It takes traffic and may run several: rolling updates, spread, a disruption budget.</param>
/// <param name="Fixed">Replicas when replicated and not autoscaled.</param>
/// <param name="Scaling">The autoscaler's bounds, when one owns the replica count.</param>
internal sealed record ReplicaPlan(bool Replicated, int Fixed, Autoscaling? Scaling)
{
    /// <summary>The Deployment's <c>replicas</c>: none where an autoscaler owns them (an apply would reset it).</summary>
    public int? Count => Scaling is { Max: > 1 } ? null : Scaling?.Min ?? (Replicated ? Fixed : 1);
}
