"""Names stored before one-line fields collapsed line breaks, put on one line.

The profile's display name and the invitation request's name and organisation are typed
by people outside the newsroom and go into e-mails, so the rows saved earlier are cleaned
here; the editors' fields (titles, sources, credits) are cleaned on their next save.
"""

from django.db import migrations

from pressimus.lib.fields import one_line

# Those the cleaning changes; anything else is left alone (and not rewritten).
_BREAKS_OR_TABS = "[\t\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029]"
FIELDS = {
    ("accounts", "Profile"): ["display_name"],
    ("invitations", "InvitationRequest"): ["name", "organisation"],
}


def put_names_on_one_line(apps, schema_editor):
    for (app_label, model_name), fields in FIELDS.items():
        model = apps.get_model(app_label, model_name)
        for field in fields:
            found = model.objects.filter(**{f"{field}__regex": _BREAKS_OR_TABS})
            for pk, value in list(found.values_list("pk", field)):
                model.objects.filter(pk=pk).update(**{field: one_line(value)})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_profile_avatar_small_user_email_security_notices_and_more"),
        ("invitations", "0002_reviewers_group"),
    ]

    operations = [
        migrations.RunPython(put_names_on_one_line, migrations.RunPython.noop, elidable=True)
    ]
