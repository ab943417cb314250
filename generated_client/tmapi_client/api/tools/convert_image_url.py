from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.convert_image_url_request import ConvertImageUrlRequest
from ...models.convert_image_url_response import ConvertImageUrlResponse
from ...models.error_response import ErrorResponse
from ...types import Response, status_from_code


def _get_kwargs(
    *,
    body: ConvertImageUrlRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/1688/tools/image/convert_url",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ConvertImageUrlResponse | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = ConvertImageUrlResponse.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 417:
        response_417 = ErrorResponse.from_dict(response.json())

        return response_417

    if response.status_code == 422:
        response_422 = ErrorResponse.from_dict(response.json())

        return response_422

    if response.status_code == 439:
        response_439 = ErrorResponse.from_dict(response.json())

        return response_439

    if response.status_code == 499:
        response_499 = ErrorResponse.from_dict(response.json())

        return response_499

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ConvertImageUrlResponse | ErrorResponse]:
    return Response(
        status_code=status_from_code(
            response.status_code
        ),  # openapi-python-client #1442
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ConvertImageUrlRequest,
) -> Response[ConvertImageUrlResponse | ErrorResponse]:
    """Convert an image URL for use with the image search

     Converts an image URL that is not hosted on an Alibaba-affiliated platform into a
    path the image search accepts. The returned `data.image_url` is a path such as
    `/search/imgextra/1692942898123_q7ftzxs9.jpg`, passed as `img_url` to the search
    as is. Billed like any other call.

    Args:
        body (ConvertImageUrlRequest): Body of the image URL conversion.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConvertImageUrlResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: ConvertImageUrlRequest,
) -> ConvertImageUrlResponse | ErrorResponse | None:
    """Convert an image URL for use with the image search

     Converts an image URL that is not hosted on an Alibaba-affiliated platform into a
    path the image search accepts. The returned `data.image_url` is a path such as
    `/search/imgextra/1692942898123_q7ftzxs9.jpg`, passed as `img_url` to the search
    as is. Billed like any other call.

    Args:
        body (ConvertImageUrlRequest): Body of the image URL conversion.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConvertImageUrlResponse | ErrorResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ConvertImageUrlRequest,
) -> Response[ConvertImageUrlResponse | ErrorResponse]:
    """Convert an image URL for use with the image search

     Converts an image URL that is not hosted on an Alibaba-affiliated platform into a
    path the image search accepts. The returned `data.image_url` is a path such as
    `/search/imgextra/1692942898123_q7ftzxs9.jpg`, passed as `img_url` to the search
    as is. Billed like any other call.

    Args:
        body (ConvertImageUrlRequest): Body of the image URL conversion.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ConvertImageUrlResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ConvertImageUrlRequest,
) -> ConvertImageUrlResponse | ErrorResponse | None:
    """Convert an image URL for use with the image search

     Converts an image URL that is not hosted on an Alibaba-affiliated platform into a
    path the image search accepts. The returned `data.image_url` is a path such as
    `/search/imgextra/1692942898123_q7ftzxs9.jpg`, passed as `img_url` to the search
    as is. Billed like any other call.

    Args:
        body (ConvertImageUrlRequest): Body of the image URL conversion.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ConvertImageUrlResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
