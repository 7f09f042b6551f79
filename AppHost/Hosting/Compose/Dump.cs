using Microsoft.Extensions.DependencyInjection;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
namespace Aspire.Hosting;
public static class DockerComposeEnvironmentExtensions
{
    public static void AddDockerComposeEnvironment(this IDistributedApplicationBuilder builder, string name)
    {
        builder.Pipeline.AddStep("compose-dump", async ctx =>
        {
            Console.WriteLine("ENV=" + builder.Environment.EnvironmentName + " out=" + ctx.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory());
            foreach (var r in ctx.Model.Resources)
            {
                Console.WriteLine($"== {r.Name} {r.GetType().Name}");
                foreach (var a in r.Annotations) Console.WriteLine($"   {a.GetType().Name} {Describe(a)}");
                if (r is IResourceWithEnvironment && r.TryGetEnvironmentVariables(out _))
                {
                    var env = new Dictionary<string, object>();
                    var ec = new EnvironmentCallbackContext(ctx.ExecutionContext, r, env, ctx.CancellationToken);
                    foreach (var cb in r.Annotations.OfType<EnvironmentCallbackAnnotation>()) await cb.Callback(ec);
                    foreach (var (k, v) in env) Console.WriteLine($"   ENV {k} = {v?.GetType().Name}: {Val(v)}");
                }
                if (r.TryGetAnnotationsOfType<CommandLineArgsCallbackAnnotation>(out var argsAnn))
                {
                    var args = new List<object>();
                    var ac = new CommandLineArgsCallbackContext(args, r, ctx.CancellationToken) { ExecutionContext = ctx.ExecutionContext };
                    foreach (var cb in argsAnn) await cb.Callback(ac);
                    foreach (var v in args) Console.WriteLine($"   ARG {v?.GetType().Name}: {Val(v)}");
                }
            }
        }, requiredBy: WellKnownPipelineSteps.Publish);
    }
    static string Val(object? v) => v switch { ReferenceExpression re => re.Format + " [" + string.Join(",", re.ValueProviders.Select(p => p.GetType().Name + ":" + Val(p))) + "]", EndpointReference e => e.Resource.Name + "/" + e.EndpointName, EndpointReferenceExpression x => x.Endpoint.Resource.Name + "." + x.Property, ParameterResource p => "param " + p.Name, IResource r => "res " + r.Name, _ => v?.ToString() ?? "null" };
    static string Describe(object a) => a switch
    {
        DockerfileBuildAnnotation d => $"{d.ContextPath} {d.DockerfilePath} {d.Stage}",
        ContainerImageAnnotation c => $"{c.Registry}/{c.Image}:{c.Tag}",
        EndpointAnnotation e => $"{e.Name} {e.UriScheme} port={e.Port} target={e.TargetPort} proxied={e.IsProxied} ext={e.IsExternal}",
        WaitAnnotation w => $"{w.Resource.Name} {w.WaitType}",
        ContainerMountAnnotation m => $"{m.Source} -> {m.Target} {m.Type}",
        ResourceRelationshipAnnotation rr => $"{rr.Type} {rr.Resource.Name}",
        _ => a.ToString() ?? ""
    };
}
