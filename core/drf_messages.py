"""DRF's and Django's own messages that their Vietnamese catalogues leave untranslated.

Django merges the catalogues of every installed app, and an entry a catalogue lacks is looked
up in the next one: listing the messages here puts their Vietnamese in core's catalogue
(core/locale/vi), so a Vietnamese client never meets an English message from the framework.
The list holds what our API answers in practice; `gettext_noop` only marks them for
makemessages.
"""

from django.utils.translation import gettext_noop

MESSAGES = (
    # rest_framework.fields / serializers
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    gettext_noop("This field may not be blank."),
    gettext_noop("Not a valid string."),
    gettext_noop("A valid integer is required."),
    gettext_noop("A valid number is required."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("This list may not be empty."),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop('Invalid pk "{pk_value}" - object does not exist.'),
    gettext_noop("Object with {slug_name}={value} does not exist."),
    # rest_framework.exceptions / authentication / pagination
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("Invalid token."),
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop("No such resource."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Could not satisfy the request Accept header."),
    gettext_noop("Request was throttled."),
    gettext_noop("Invalid cursor"),
    gettext_noop("Malformed request."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
)
