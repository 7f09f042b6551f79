using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>
/// Adds publish targets to the publish pipeline. Every target of one AppHost with the same topology gets the same
/// <see cref="PublishedModels"/>, so one publish builds each environment's model once, whatever the number of
/// publishers; the targets' steps run one after the other, in the order they were added.
/// </summary>
public static class PublishTargets
{
    /// <summary>
    /// Adds a publish target: in run mode a builder for <paramref name="resource"/> outside the model; in publish
    /// mode the resource (excluded from the manifest) and, on the AppHost's own builder, the pipeline step
    /// <c>publish-{name}</c> that runs <paramref name="publish"/> with the publish's models. A <see cref="PublishException"/>
    /// it throws is reported as one line prefixed with <paramref name="label"/>.
    /// </summary>
    public static IResourceBuilder<T> AddPublishTarget<T>(this IDistributedApplicationBuilder builder, T resource, string label,
        Func<PublishedModels, PipelineStepContext, Task> publish) where T : IPublishTargetResource
    {
        if (!builder.ExecutionContext.IsPublishMode) return builder.CreateResourceBuilder(resource);
        if (!PublishedModels.IsPublishedModel(builder))
        {
            var session = PublishSession.Of(builder);
            var models = session.ModelsOf(resource);
            var step = $"publish-{resource.Name}";
            builder.Pipeline.AddStep(step, context => session.RunAsync(context, step, label, () => publish(models, context)),
                dependsOn: session.Steps.ToArray(), requiredBy: WellKnownPipelineSteps.Publish);
            session.Steps.Add(step);
        }
        return builder.AddResource(resource).ExcludeFromManifest();
    }

    /// <summary>
    /// Runs a publish step: a <see cref="PublishException"/> becomes one line on stderr and exit code 1, instead of the
    /// pipeline's stack traces and exit code 0 (with <paramref name="stopOnFailure"/>, the AppHost stops too; a message
    /// already in <paramref name="reported"/> is not repeated); any other failure keeps the pipeline's log and exits 1
    /// too; a step cancelled because the AppHost stops ends quietly. Returns false when the step reported a failure.
    /// </summary>
    internal static async Task<bool> RunStepAsync(PipelineStepContext context, string label, Func<Task> step, bool stopOnFailure = true, ISet<string>? reported = null)
    {
        try
        {
            await step().ConfigureAwait(false);
            return true;
        }
        catch (PublishException ex)
        {
            if (reported?.Add(ex.Message) != false) Console.Error.WriteLine($"aspire publish ({label}): {ex.Message}");
            Environment.ExitCode = 1;
            if (stopOnFailure) Stop(context);
            return false;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Anything else (a folder that cannot be written, …): the pipeline logs it with its stack trace, but
            // would exit 0; a publish that wrote nothing must not look like a success.
            Environment.ExitCode = 1;
            throw;
        }
    }

    /// <summary>Stops the AppHost: the pipeline starts no further step.</summary>
    internal static void Stop(PipelineStepContext context) => context.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
}
