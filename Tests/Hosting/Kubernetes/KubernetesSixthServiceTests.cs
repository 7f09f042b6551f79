using Ichrisbirch.Hosting.Publishing;
using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>The publisher knows no service: a model with a sixth Python service publishes it everywhere; what it cannot translate stops with one line.</summary>
public class KubernetesSixthServiceTests
{
    private static void WithSixthService(IDistributedApplicationBuilder builder)
    {
        Program.Ichrisbirch(builder);
        var postgres = builder.CreateResourceBuilder((IResourceWithConnectionString)builder.Resources.Single(r => r.Name == "postgres"));
        var token = builder.AddParameter("notifier-token", secret: true);
        builder.AddPythonModule("notifier", "../services", "ichrisbirch.notifier")
            .WithHttpEndpoint(targetPort: 8300, name: "http")
            .WithServiceDefaults()
            .WithRestartPolicy(RestartPolicy.Always)
            .WithEnvironment("NOTIFIER_CHANNEL", builder.Environment.EnvironmentName == "Development" ? "log" : "email")
            .WithEnvironment("NOTIFIER_TOKEN", token)
            .WithReference(postgres).WaitFor(postgres);
    }

    [Fact]
    public async Task A_sixth_python_service_appears_in_every_overlay_with_its_probes_service_wait_and_only_its_own_variables()
    {
        var output = await Manifests.WriteAsync(WithSixthService);
        try
        {
            var k8s = Path.Combine(output, "k8s");
            Manifests.FillSecrets(k8s);
            foreach (var overlay in Manifests.Overlays)
            {
                var rendered = await Manifests.RenderAsync(k8s, overlay);
                var (exit, validation) = await Manifests.ValidateAsync(rendered);
                Assert.True(exit == 0, $"{overlay}: {validation}");
                var objects = Manifests.Documents(rendered);
                var notifier = objects.Object("Deployment", "notifier");
                var container = notifier.Items("spec", "template", "spec", "containers").Single();
                Assert.Equal("/health", container.At("readinessProbe", "httpGet", "path"));
                Assert.Equal("8300", container.At("livenessProbe", "tcpSocket", "port"));
                Assert.Equal("8300", objects.Object("Service", "notifier").At("spec", "ports", 0, "port"));
                Assert.Equal(["wait-for-postgres"], notifier.Items("spec", "template", "spec", "initContainers").Select(c => (string)c["name"]));
                Assert.Equal(
                    ["ENVIRONMENT", "LOG_LEVEL", "NOTIFIER_CHANNEL", "NOTIFIER_TOKEN", "OTEL_SERVICE_NAME", "POSTGRES_DB", "POSTGRES_HOST", "POSTGRES_PASSWORD", "POSTGRES_PORT", "POSTGRES_USERNAME", "PYTHONUNBUFFERED"],
                    container.Items("env").Select(e => (string)e["name"]));
                Assert.Equal("NOTIFIER_TOKEN", container.Items("env").Single(e => (string)e["name"] == "NOTIFIER_TOKEN").At("valueFrom", "secretKeyRef", "key"));
                Assert.Equal(overlay == "development" ? "log" : "email", objects.ConfigMap("notifier-env").At("data", "NOTIFIER_CHANNEL"));
                Assert.Contains("NOTIFIER_TOKEN=", File.ReadAllLines(Path.Combine(k8s, "overlays", overlay, "secrets.env.example")));
                Assert.DoesNotContain(objects.Object("Deployment", "api").Items("spec", "template", "spec", "containers").Single().Items("env"),
                    e => ((string)e["name"]).StartsWith("NOTIFIER", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task An_image_without_a_declared_numeric_user_stops_the_publish_with_one_line_naming_the_fix()
    {
        void WithCache(IDistributedApplicationBuilder builder)
        {
            Program.Ichrisbirch(builder);
            builder.AddContainer("cache", "library/memcached", "1.6");
        }
        var error = await Assert.ThrowsAsync<PublishException>(() => Manifests.WriteAsync(WithCache));
        Assert.Equal("cache: which numeric non-root user does image library/memcached run as? Call WithImageUser(\"library/memcached\", uid) on the Kubernetes environment.", error.Message);
    }
}
