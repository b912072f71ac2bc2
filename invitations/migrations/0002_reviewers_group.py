"""The "Reviewers" group: staff who review invitation requests and keep the explainer."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Reviewers"
PERMISSIONS = [
    "view_invitationrequest",
    "change_invitationrequest",
    "view_invitation",
    "view_explainer",
    "add_explainer",
    "change_explainer",
]


def create_group(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); a fresh
    # database needs them now, so make this app's here (it skips existing ones).
    app_config = apps.get_app_config("invitations")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.using(schema_editor.connection.alias).filter(
            content_type__app_label="invitations", codename__in=PERMISSIONS
        )
    )


def remove_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("invitations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
