using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>The workload kind follows what a resource is (serves until stopped, or runs once), never its restart policy.</summary>
public class KubernetesWorkloadKindTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private static void RestartOnFailure(IDistributedApplicationBuilder builder)
    {
        builder.Configuration["Ichrisbirch:RestartPolicy"] = "OnFailure";
        Program.Ichrisbirch(builder);
    }

    [Fact]
    public async Task With_restart_policy_on_failure_the_services_stay_deployments_and_statefulsets_that_always_restart()
    {
        var output = await Manifests.WriteAsync(RestartOnFailure);
        try
        {
            var k8s = Path.Combine(output, "k8s");
            Manifests.FillSecrets(k8s);
            foreach (var overlay in new[] { "production", "testing" })
            {
                var objects = Manifests.Documents(await Manifests.RenderAsync(k8s, overlay));
                foreach (var (kind, name) in new[] { ("Deployment", "api"), ("Deployment", "app"), ("Deployment", "scheduler"), ("StatefulSet", "postgres"), ("StatefulSet", "redis") })
                {
                    Assert.Equal("Always", objects.Object(kind, name).At("spec", "template", "spec", "restartPolicy"));
                }
                Assert.Equal(overlay == "testing" ? ["test-runner"] : [], objects.Where(d => (string)d["kind"] == "Job").Select(d => (string)d.At("metadata", "name")!));
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void The_run_once_test_runner_is_a_job_with_a_deadline_and_a_time_to_live_after_it_finishes()
    {
        var runner = manifests.Objects["testing"].Object("Job", "test-runner");
        Assert.Equal("1800", runner.At("spec", "activeDeadlineSeconds"));
        Assert.Equal("86400", runner.At("spec", "ttlSecondsAfterFinished"));
        Assert.Equal("Never", runner.At("spec", "template", "spec", "restartPolicy"));
    }

    [Fact]
    public async Task A_run_once_resource_that_restarts_always_stops_the_publish_with_one_line_naming_the_fix()
    {
        var error = await Assert.ThrowsAsync<PublishException>(() => Manifests.WriteAsync(builder =>
        {
            Program.Ichrisbirch(builder);
            builder.AddContainer("once", "library/redis", "7").WithRunToCompletion(TimeSpan.FromMinutes(1)).WithRestartPolicy(RestartPolicy.Always);
        }));
        Assert.Equal("once runs to completion but its restart policy is Always, which a Job cannot have; give it RestartPolicy.No or OnFailure.", error.Message);
    }
}
