using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>The application role in the rendered overlays: the script from a ConfigMap, the role step as an init container of each pod that connects.</summary>
public class KubernetesDatabaseRoleTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private const string InitScript = "/docker-entrypoint-initdb.d/app-role.sql";

    private List<Dictionary<object, object>> Production => manifests.Objects["production"];

    [Fact]
    public void Postgres_mounts_the_role_script_from_a_config_map_in_its_initdb_folder()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(Publisher.RepoRoot, "AppHost", "Postgres", "app-role.sql")),
            Production.Object("ConfigMap", "app-role-sql").At("data", "app-role.sql"));
        var postgres = Production.Object("StatefulSet", "postgres");
        var mount = postgres.Items("spec", "template", "spec", "containers").Single().Items("volumeMounts").Single(m => (string)m["mountPath"] == InitScript);
        Assert.Equal(("app-role.sql", "true"), ((string)mount["subPath"], (string)mount["readOnly"]));
        var volume = postgres.Items("spec", "template", "spec", "volumes").Single(v => (string)v["name"] == (string)mount["name"]);
        Assert.Equal("app-role-sql", volume.At("configMap", "name"));
    }

    [Theory]
    [InlineData("api")]
    [InlineData("scheduler")]
    public void Each_pod_that_connects_runs_the_role_step_first_as_the_superuser_and_its_service_as_the_application_role(string name)
    {
        var deployment = Production.Object("Deployment", name);
        var init = deployment.Items("spec", "template", "spec", "initContainers").ToList();
        Assert.True(init.FindIndex(c => (string)c["name"] == "wait-for-postgres") < init.FindIndex(c => (string)c["name"] == "postgres-init"));
        var step = init.Single(c => (string)c["name"] == "postgres-init");
        Assert.Equal(["psql"], (List<object>)step.At("command")!);
        Assert.Equal(InitScript, ((List<object>)step.At("args")!).Last());
        Assert.Equal("POSTGRES_PASSWORD", Variable(step, "PGPASSWORD").At("secretKeyRef", "key"));
        Assert.Equal("POSTGRES_APP_PASSWORD", Variable(step, "POSTGRES_APP_PASSWORD").At("secretKeyRef", "key"));
        Assert.Contains(step.Items("volumeMounts"), m => (string)m["mountPath"] == InitScript);

        var service = deployment.Items("spec", "template", "spec", "containers").Single();
        Assert.Equal("POSTGRES_APP_PASSWORD", Variable(service, "POSTGRES_PASSWORD").At("secretKeyRef", "key"));
        Assert.Equal("ichrisbirch_app", Production.Object("ConfigMap", $"{name}-env").At("data", "POSTGRES_USERNAME"));
        Assert.DoesNotContain(service.Items("env"), e => (string?)e.At("valueFrom", "secretKeyRef", "key") == "POSTGRES_PASSWORD");
    }

    [Fact]
    public void The_role_step_is_no_job_of_its_own_in_any_overlay()
    {
        foreach (var (overlay, objects) in manifests.Objects)
        {
            Assert.DoesNotContain(objects, d => (string)d["kind"] == "Job" && (string?)d.At("metadata", "name") == "postgres-init");
        }
    }

    private static Dictionary<object, object> Variable(Dictionary<object, object> container, string name)
        => (Dictionary<object, object>)container.Items("env").Single(e => (string)e["name"] == name)["valueFrom"];
}
