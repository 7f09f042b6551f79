using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Marks a resource that had no http endpoint when <see cref="ServiceDefaultsExtensions.WithServiceDefaults{T}"/> ran.</summary>
internal sealed class ServiceDefaultsWithoutHttpAnnotation : IResourceAnnotation;

/// <summary>
/// <see cref="ServiceDefaultsExtensions.WithServiceDefaults{T}"/> ran before the resource's http endpoint was added,
/// so the resource has no <c>/health</c> probe: the start stops with this one line instead of running without one.
/// </summary>
public sealed class ServiceDefaultsOrderException(string message) : Exception(message)
{
    /// <summary>None: the message names the fix.</summary>
    public override string? StackTrace => null;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IDistributedApplicationBuilder, object> s_checked = [];

    /// <summary>Before any process starts (once per builder): no resource gained an http endpoint after its defaults.</summary>
    internal static void CheckBeforeStart(IDistributedApplicationBuilder builder)
    {
        if (s_checked.TryGetValue(builder, out _)) return;
        s_checked.Add(builder, new object());
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            foreach (var resource in e.Model.Resources.Where(r => r.Annotations.OfType<ServiceDefaultsWithoutHttpAnnotation>().Any()))
            {
                if (resource.Annotations.OfType<EndpointAnnotation>().Any(a => a.Name == "http"))
                {
                    throw new ServiceDefaultsOrderException(
                        $"{resource.Name}: WithServiceDefaults() ran before its http endpoint was added, so it has no /health probe; " +
                        "call WithServiceDefaults() after the call that adds the endpoint.");
                }
            }
            return Task.CompletedTask;
        });
    }
}
