using Aspire.Hosting;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>The publish targets of one AppHost builder: their steps in order, and the models they share.</summary>
internal sealed class PublishSession
{
    private readonly List<PublishedModels> _models = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private bool _failed;

    /// <summary>The targets' step names, in the order the targets were added.</summary>
    public List<string> Steps { get; } = [];

    /// <summary>The models of <paramref name="target"/>'s topology, shared with every target of the same topology.</summary>
    public PublishedModels ModelsOf(IPublishTargetResource target)
    {
        var models = _models.FirstOrDefault(m => m.Topology.Equals(target.Topology) && m.AppHostDirectory == target.AppHostDirectory);
        if (models is null) _models.Add(models = new PublishedModels(target.Topology, target.AppHostDirectory));
        return models;
    }

    /// <summary>
    /// Runs target step <paramref name="name"/>. Every target runs, whichever failed before it (one target's failure
    /// hides no other's output or error; a failure they share, such as the model's, is reported once), and after a
    /// failure the last one stops the AppHost: stopped earlier, the pipeline would fail to start the next step, with a stack trace.
    /// </summary>
    public async Task RunAsync(PipelineStepContext context, string name, string label, Func<Task> publish)
    {
        if (!await PublishTargets.RunStepAsync(context, label, publish, stopOnFailure: false, _reported).ConfigureAwait(false)) _failed = true;
        if (_failed && Steps[^1] == name) PublishTargets.Stop(context);
    }

    /// <summary>The builder's session, registered in its services on first use.</summary>
    public static PublishSession Of(IDistributedApplicationBuilder builder)
    {
        var session = builder.Services.Where(d => d.ServiceType == typeof(PublishSession)).Select(d => d.ImplementationInstance).OfType<PublishSession>().FirstOrDefault();
        if (session is null) builder.Services.AddSingleton(session = new PublishSession());
        return session;
    }
}
