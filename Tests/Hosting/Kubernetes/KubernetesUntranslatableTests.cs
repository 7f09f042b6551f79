using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>What a model may say that Kubernetes cannot: the publish stops with one line naming the resource and the fix.</summary>
public class KubernetesUntranslatableTests
{
    private static void With(IDistributedApplicationBuilder builder, string extra)
    {
        Program.Ichrisbirch(builder);
        var postgres = builder.CreateResourceBuilder(builder.Resources.Single(r => r.Name == "postgres"));
        var password = builder.CreateResourceBuilder((ParameterResource)builder.Resources.Single(r => r.Name == "postgres-password"));
        switch (extra)
        {
            case "executable":
                builder.AddExecutable("tool", "echo", ".");
                break;
            case "bind":
                builder.AddContainer("web", "library/redis", "7").WithBindMount("/srv/data", "/data");
                break;
            case "completion":
                builder.AddContainer("waiter", "library/redis", "7").WaitForCompletion(postgres);
                break;
            case "argument":
                builder.AddContainer("argy", "library/redis", "7").WithArgs(context => context.Args.Add(ReferenceExpression.Create($"--pass={password.Resource}")));
                break;
        }
    }

    public static TheoryData<string, string> Untranslatable => new()
    {
        { "executable", "tool is a ExecutableResource, which cannot be published: publish it as a container (PublishAsDockerFile / WithDockerfile), or mark it run-only with ExcludeFromManifest()." },
        { "bind", "web: bind mount /srv/data -> /data is a path of the publishing machine; use a named volume." },
        { "completion", "waiter waits for postgres to complete, but it serves until stopped; wait for it to be healthy instead, or mark it WithRunToCompletion." },
        { "argument", "argy: a parameter inside an argument or a longer value has no Kubernetes equivalent; pass it as an environment variable of its own." },
    };

    [Theory]
    [MemberData(nameof(Untranslatable))]
    public async Task A_model_kubernetes_cannot_express_stops_the_publish_with_one_line_naming_the_fix(string extra, string message)
    {
        var error = await Assert.ThrowsAsync<PublishException>(() => Manifests.WriteAsync(builder => With(builder, extra)));
        Assert.Equal(message, error.Message);
    }
}
